// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package androidx.activity.compose
import androidx.compose.runtime.Composable
import androidx.activity.result.contract.ActivityResultContract
@Composable fun BackHandler(enabled: Boolean = true, onBack: () -> Unit) {}
class ManagedActivityResultLauncher<I, O> { fun launch(input: I) {} }
@Composable fun <I, O> rememberLauncherForActivityResult(contract: ActivityResultContract<I, O>, onResult: (O) -> Unit): ManagedActivityResultLauncher<I, O> = ManagedActivityResultLauncher()
