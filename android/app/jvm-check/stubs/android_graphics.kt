// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package android.graphics
import java.io.OutputStream
class Bitmap private constructor() {
    enum class CompressFormat { JPEG, PNG, WEBP }
    fun compress(format: CompressFormat, quality: Int, stream: OutputStream): Boolean = true
    fun recycle() {}
}
object BitmapFactory {
    class Options {
        @JvmField var inJustDecodeBounds: Boolean = false
        @JvmField var inSampleSize: Int = 0
        @JvmField var outWidth: Int = 0
        @JvmField var outHeight: Int = 0
    }
    @JvmStatic fun decodeByteArray(data: ByteArray, offset: Int, length: Int): Bitmap? = null
    @JvmStatic fun decodeByteArray(data: ByteArray, offset: Int, length: Int, opts: Options?): Bitmap? = null
}
