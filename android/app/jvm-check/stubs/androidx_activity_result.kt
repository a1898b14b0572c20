// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package androidx.activity.result
import androidx.activity.result.contract.ActivityResultContracts
class PickVisualMediaRequest internal constructor() {
    var mediaType: ActivityResultContracts.PickVisualMedia.VisualMediaType = ActivityResultContracts.PickVisualMedia.ImageAndVideo
        internal set
}
fun PickVisualMediaRequest(mediaType: ActivityResultContracts.PickVisualMedia.VisualMediaType = ActivityResultContracts.PickVisualMedia.ImageAndVideo): PickVisualMediaRequest =
    PickVisualMediaRequest().apply { this.mediaType = mediaType }
