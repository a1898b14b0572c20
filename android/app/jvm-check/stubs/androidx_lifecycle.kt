// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package androidx.lifecycle
interface LifecycleOwner { val lifecycle: Lifecycle }
abstract class Lifecycle { abstract fun addObserver(observer: LifecycleObserver) }
interface LifecycleObserver
interface DefaultLifecycleObserver : LifecycleObserver {
    fun onStart(owner: LifecycleOwner) {}
    fun onStop(owner: LifecycleOwner) {}
    fun onResume(owner: LifecycleOwner) {}
}
class ProcessLifecycleOwner private constructor() : LifecycleOwner {
    override val lifecycle: Lifecycle get() = TODO()
    companion object { @JvmStatic fun get(): LifecycleOwner = TODO() }
}
