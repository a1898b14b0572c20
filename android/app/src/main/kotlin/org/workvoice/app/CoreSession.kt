package org.workvoice.app

import android.content.Context
import androidx.work.Constraints
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.WorkManager
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import okhttp3.OkHttpClient
import org.workvoice.core.types.Event
import org.workvoice.core.types.HostConfig
import org.workvoice.core.types.PlatformOperation
import org.workvoice.core.types.ViewModel
import org.workvoice.shell.WorkvoiceCore
import org.workvoice.shell.coreDefaultAppConfig
import java.io.File
import java.util.Locale
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

/**
 * The one core of this process, driven through the shell module's effect loop
 * ([WorkvoiceCore]: OkHttp, the core's own thread, the in-process wake-up timer), plus what only
 * Android knows: the platform secret in the Keystore, the app moving to the background, the
 * network coming back, and WorkManager for retries while the app is not on screen.
 *
 * Nothing here decides what the worker sees or what is sent: that is the core's view model.
 */
class CoreSession(private val context: Context) {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val secrets = PlatformSecretStore(context)
    private val startFailure = MutableStateFlow<String?>(null)
    private val views = MutableStateFlow<ViewModel?>(null)

    @Volatile
    private var core: WorkvoiceCore? = null

    /** The latest view model; `null` until the core has drawn once. */
    val view: StateFlow<ViewModel?> = views.asStateFlow()

    /** Why the core could not start (a broken build, not something the worker can fix). */
    val failure: StateFlow<String?> = startFailure.asStateFlow()

    /** Create the core and start it, off the main thread. */
    fun start() {
        scope.launch(Dispatchers.IO) {
            try {
                // Created (or read) before any PIN is typed: the Keystore must work on this phone.
                val secret = secrets.loadOrCreate()
                val started = WorkvoiceCore(
                    config = hostConfig(secret),
                    http = httpClient(),
                    onPlatform = ::onPlatform,
                ).start()
                core = started
                started.viewModel.filterNotNull().collect(::onView)
            } catch (e: Exception) {
                startFailure.value = e.toString()
            }
        }
    }

    /**
     * Send a worker's action to the core. The core itself ignores taps while it is busy
     * (checking a PIN, saving), as its view model shows.
     */
    fun send(event: Event) {
        core?.dispatch(event)
    }

    /** The app came to the foreground, or the network came back: what is due goes out now. */
    fun wake() {
        core?.dispatch(Event.Tick)
    }

    /**
     * The app left the screen (`onStop`): the core locks itself at once (its policy; delivery
     * goes on locked), and WorkManager is asked for the core's next wake-up, with a network.
     */
    fun enteredBackground() {
        core?.dispatch(Event.Background)
        views.value?.wakeInMs?.let { scheduleBackgroundTick(it.toLong()) }
    }

    /**
     * A background Tick (from [TickWorker]): returns when the round it started has ended (the
     * core asks for its next wake-up), when nothing has changed for [QUIET], or after
     * [BACKGROUND_LIMIT]. In a process started for this Tick, the core is awaited for up to
     * [STARTUP_LIMIT]: it starts locked, and its courier delivers what was sealed without the
     * PIN. Returns false when no core started.
     */
    suspend fun backgroundTick(): Boolean {
        val current = core ?: withTimeoutOrNull(STARTUP_LIMIT) {
            views.filterNotNull().first()
            core
        } ?: return false
        var last = views.value
        current.dispatch(Event.Tick)
        withTimeoutOrNull(BACKGROUND_LIMIT) {
            while (true) {
                val seen = last
                val next = withTimeoutOrNull(QUIET) { views.first { it != null && it != seen } } ?: break
                if (next.wakeInMs != null) break
                last = next
            }
        }
        views.value?.wakeInMs?.let { scheduleBackgroundTick(it.toLong()) }
        return true
    }

    private fun onView(view: ViewModel) {
        views.value = view
    }

    /** What only Android can do, when the core asks. */
    private fun onPlatform(operation: PlatformOperation) {
        when (operation) {
            // The worker wiped the app: the secret goes with the vault.
            PlatformOperation.FORGETPLATFORMSECRET -> scope.launch(Dispatchers.IO) { secrets.delete() }
        }
    }

    private fun scheduleBackgroundTick(delayMs: Long) {
        val request = OneTimeWorkRequestBuilder<TickWorker>()
            .setInitialDelay(delayMs.coerceAtLeast(0), TimeUnit.MILLISECONDS)
            .setConstraints(Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build())
            .build()
        WorkManager.getInstance(context).enqueueUniqueWork(TickWorker.NAME, ExistingWorkPolicy.REPLACE, request)
    }

    /**
     * The core's `HostConfig`. `platformSecret` is the Keystore-protected secret that the vault
     * mixes into the PIN's key: vault files copied off the phone cannot be brute-forced.
     */
    private fun hostConfig(platformSecret: ByteArray): HostConfig {
        val vault = vaultDirectory(context)
        vault.mkdirs()
        return HostConfig(
            dataDir = vault.absolutePath,
            app = coreDefaultAppConfig().copy(
                relayUrl = BuildConfig.RELAY_URL,
                // null: the root key built into the library (WORKVOICE_ROOT_PUBLIC_KEY).
                rootPublicKey = null,
                systemLanguage = Locale.getDefault().toLanguageTag(),
            ),
            insecureFastKdf = false,
            maxPinAttempts = 0u,
            platformSecret = platformSecret.map { it.toUByte() },
        )
    }

    /**
     * No cache, no cookies (OkHttp keeps neither unless told to), no redirects to other hosts;
     * generous connect and read timeouts for patchy signal (the core's own timeout bounds each
     * whole call).
     */
    private fun httpClient(): OkHttpClient = OkHttpClient.Builder()
        .cache(null)
        .followRedirects(false)
        .followSslRedirects(false)
        .connectTimeout(30, TimeUnit.SECONDS)
        .readTimeout(30, TimeUnit.SECONDS)
        .writeTimeout(30, TimeUnit.SECONDS)
        .build()

    private companion object {
        /** No new view model for this long after a background Tick: the round is over. */
        val QUIET = 15.seconds

        /** The longest a background Tick keeps its worker. */
        val BACKGROUND_LIMIT = 3.minutes

        /** The longest a background Tick waits for the core of a freshly started process. */
        val STARTUP_LIMIT = 30.seconds
    }
}

/** The core's data directory: the vault, in storage that is never backed up. */
internal fun vaultDirectory(context: Context): File = File(context.noBackupFilesDir, "vault")
