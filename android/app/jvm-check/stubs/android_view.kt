// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package android.view
class Window { fun setFlags(flags: Int, mask: Int) {} }
class WindowManager { class LayoutParams { companion object { const val FLAG_SECURE = 0x2000 } } }
