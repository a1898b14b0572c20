// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package androidx.activity.result.contract
import androidx.activity.result.PickVisualMediaRequest
abstract class ActivityResultContract<I, O>
class ActivityResultContracts private constructor() {
    open class PickVisualMedia : ActivityResultContract<PickVisualMediaRequest, android.net.Uri?>() {
        sealed interface VisualMediaType
        object ImageOnly : VisualMediaType
        object VideoOnly : VisualMediaType
        object ImageAndVideo : VisualMediaType
    }
}
