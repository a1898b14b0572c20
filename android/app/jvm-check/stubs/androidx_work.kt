// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package androidx.work
import java.util.concurrent.TimeUnit
class WorkerParameters
abstract class ListenableWorker(val applicationContext: android.content.Context, parameters: WorkerParameters) {
    abstract class Result { companion object { @JvmStatic fun success(): Result = TODO(); @JvmStatic fun retry(): Result = TODO() } }
}
abstract class CoroutineWorker(appContext: android.content.Context, params: WorkerParameters) : ListenableWorker(appContext, params) {
    abstract suspend fun doWork(): Result
}
enum class NetworkType { NOT_REQUIRED, CONNECTED, UNMETERED }
enum class ExistingWorkPolicy { REPLACE, KEEP, APPEND, APPEND_OR_REPLACE }
class Constraints { class Builder { fun setRequiredNetworkType(networkType: NetworkType): Builder = this; fun build(): Constraints = Constraints() } }
class OneTimeWorkRequest { class Builder(workerClass: Class<out ListenableWorker>) {
    fun setInitialDelay(duration: Long, timeUnit: TimeUnit): Builder = this
    fun setConstraints(constraints: Constraints): Builder = this
    fun build(): OneTimeWorkRequest = OneTimeWorkRequest()
} }
inline fun <reified W : ListenableWorker> OneTimeWorkRequestBuilder(): OneTimeWorkRequest.Builder = OneTimeWorkRequest.Builder(W::class.java)
abstract class WorkManager {
    abstract fun enqueueUniqueWork(uniqueWorkName: String, existingWorkPolicy: ExistingWorkPolicy, work: OneTimeWorkRequest): Any
    companion object { @JvmStatic fun getInstance(context: android.content.Context): WorkManager = TODO() }
}
