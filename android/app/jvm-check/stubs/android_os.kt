// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package android.os
object Build { object VERSION { @JvmField val SDK_INT: Int = 0 }; object VERSION_CODES { const val P = 28; const val TIRAMISU = 33 } }
class Bundle
