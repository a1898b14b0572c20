// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package androidx.activity
open class ComponentActivity {
    val window: android.view.Window = android.view.Window()
    val application: android.app.Application get() = TODO()
    open fun onCreate(savedInstanceState: android.os.Bundle?) {}
    fun setRecentsScreenshotEnabled(enabled: Boolean) {}
}
fun ComponentActivity.enableEdgeToEdge() {}
