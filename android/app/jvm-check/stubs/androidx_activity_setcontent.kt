// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package androidx.activity.compose
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionContext
fun androidx.activity.ComponentActivity.setContent(parent: CompositionContext? = null, content: @Composable () -> Unit) {}
