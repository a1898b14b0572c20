// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package android.content
import java.io.File
import java.io.InputStream
abstract class ContentResolver { fun openInputStream(uri: android.net.Uri): InputStream? = null }
open class Context {
    open val contentResolver: ContentResolver get() = TODO()
    open val noBackupFilesDir: File get() = TODO()
    open val applicationContext: Context get() = TODO()
    open fun getSystemService(name: String): Any? = null
    companion object { const val CONNECTIVITY_SERVICE = "connectivity" }
}
