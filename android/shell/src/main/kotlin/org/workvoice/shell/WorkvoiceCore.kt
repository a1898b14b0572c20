package org.workvoice.shell

import com.novi.bincode.BincodeDeserializer
import java.io.IOException
import java.io.InterruptedIOException
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.ScheduledFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import okhttp3.Call
import okhttp3.Callback
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import org.workvoice.core.ffi.CoreFfi
import org.workvoice.core.ffi.defaultAppConfig
import org.workvoice.core.ffi.evidenceIntakeDir
import org.workvoice.core.types.Event
import org.workvoice.core.types.HostConfig
import org.workvoice.core.types.HttpFailure
import org.workvoice.core.types.HttpFailureKind
import org.workvoice.core.types.HttpMethod
import org.workvoice.core.types.HttpRequest
import org.workvoice.core.types.HttpResponse
import org.workvoice.core.types.HttpResult
import org.workvoice.core.types.AppConfig
import org.workvoice.core.types.PlatformOperation
import org.workvoice.core.types.ShellEffect
import org.workvoice.core.types.ShellRequest
import org.workvoice.core.types.ViewModel
import org.workvoice.core.types.deserializeListOf

/**
 * The Workvoice core as the native shell drives it: the effect loop over the generated bindings.
 *
 * - [dispatch] sends the worker's events; it returns at once.
 * - The core's HTTP requests are performed with OkHttp on OkHttp's threads and answered with
 *   `resolve`; a request that gets no HTTP answer is resolved as [HttpResult.Failed].
 * - Every call into the core runs on one thread of this class's own, in order; the caller's
 *   thread (the UI thread on Android) never waits for the core or the network.
 * - [viewModel] holds the latest view model (`null` until the first render); the optional
 *   listener is called with each new one, on the core's thread.
 * - When the view model asks for a wake-up ([ViewModel.wakeInMs]: retries, mailbox checks),
 *   a [Event.Tick] is sent after that delay.
 * - What only the platform can do ([PlatformOperation]: forget the platform secret after a
 *   wipe) is given to the optional `onPlatform` listener, on the core's thread.
 *
 * Vault, clock and randomness never reach this class: the core resolves them in Rust. A
 * failure of the core itself (a bug: undecodable bytes, an unknown request id) is kept in
 * [failure] and given to [onFailure]; the loop goes on.
 */
/**
 * Where to copy a picked evidence file before sending `Event.AddEvidenceFile` with the copy's
 * path: beside the core's data directory. The core deletes each copy once it has read it.
 */
fun evidenceIntakeDirectory(dataDir: java.io.File): java.io.File = java.io.File(evidenceIntakeDir(dataDir.absolutePath))

/**
 * The core's default [AppConfig] (its retry, polling and upload settings): the shell sets its
 * relay URL and language on it and copies none of the core's numbers.
 */
fun coreDefaultAppConfig(): AppConfig = AppConfig.bincodeDeserialize(defaultAppConfig())

class WorkvoiceCore(
    config: HostConfig,
    private val http: OkHttpClient = OkHttpClient(),
    private val onViewModel: ((ViewModel) -> Unit)? = null,
    private val onFailure: ((Throwable) -> Unit)? = null,
    private val onPlatform: ((PlatformOperation) -> Unit)? = null,
) : AutoCloseable {
    private val ffi = CoreFfi(config.bincodeSerialize())
    private val coreThread: ScheduledExecutorService =
        Executors.newSingleThreadScheduledExecutor { runnable ->
            Thread(runnable, "workvoice-core").apply { isDaemon = true }
        }
    private val state = MutableStateFlow<ViewModel?>(null)
    private val failures = MutableStateFlow<Throwable?>(null)
    private var tick: ScheduledFuture<*>? = null
    private val inFlight = mutableSetOf<Call>()

    @Volatile
    private var closed = false

    /** The latest view model; `null` before [start]'s first render. */
    val viewModel: StateFlow<ViewModel?> = state.asStateFlow()

    /** The last failure of the core or of this loop, if any (never an HTTP failure). */
    val failure: StateFlow<Throwable?> = failures.asStateFlow()

    /** Start the app: call once, first. */
    fun start(): WorkvoiceCore {
        onCoreThread { handle(ffi.start()) }
        return this
    }

    /** Send one of the worker's events. */
    fun dispatch(event: Event) {
        onCoreThread { handle(ffi.update(event.bincodeSerialize())) }
    }

    override fun close() {
        if (closed) return
        closed = true
        synchronized(inFlight) { inFlight.toList() }.forEach { it.cancel() }
        coreThread.shutdown()
        coreThread.awaitTermination(5, TimeUnit.SECONDS)
        ffi.close()
    }

    private fun onCoreThread(work: () -> Unit) {
        if (closed) return
        try {
            coreThread.execute {
                if (closed) return@execute
                try {
                    work()
                } catch (e: Exception) {
                    failures.value = e
                    onFailure?.invoke(e)
                }
            }
        } catch (e: java.util.concurrent.RejectedExecutionException) {
            // Closed meanwhile: nothing is waiting for the answer any more.
        }
    }

    /** Runs on the core thread: act on each request the core handed out. */
    private fun handle(bytes: ByteArray) {
        for (request in decodeRequests(bytes)) {
            when (val effect = request.effect) {
                is ShellEffect.Render -> render()
                is ShellEffect.Http -> perform(request.id, effect.value)
                is ShellEffect.Platform -> onPlatform?.invoke(effect.value)
            }
        }
    }

    private fun render() {
        val view = ViewModel.bincodeDeserialize(ffi.view())
        state.value = view
        scheduleTick(view.wakeInMs)
        onViewModel?.invoke(view)
    }

    /**
     * The shell contract for wake-ups (ARCHITECTURE.md): keep the earliest wake-up asked for,
     * so that renders (each keystroke is one) never push a due Tick later; `null` cancels.
     */
    private fun scheduleTick(wakeInMs: ULong?) {
        if (wakeInMs == null) {
            tick?.cancel(false)
            tick = null
            return
        }
        val delay = wakeInMs.coerceAtMost(Long.MAX_VALUE.toULong()).toLong()
        val current = tick
        if (current != null && !current.isDone && current.getDelay(TimeUnit.MILLISECONDS) <= delay) return
        current?.cancel(false)
        tick = coreThread.schedule(
            { onCoreThread { handle(ffi.update(Event.Tick.bincodeSerialize())) } },
            delay,
            TimeUnit.MILLISECONDS,
        )
    }

    private fun perform(id: UInt, request: HttpRequest) {
        val call = http.newCall(request.toOkHttp())
        call.timeout().timeout(request.timeoutMs.coerceAtMost(Long.MAX_VALUE.toULong()).toLong(), TimeUnit.MILLISECONDS)
        synchronized(inFlight) { inFlight.add(call) }
        call.enqueue(
            object : Callback {
                override fun onFailure(call: Call, e: IOException) {
                    synchronized(inFlight) { inFlight.remove(call) }
                    resolve(id, failed(e))
                }

                override fun onResponse(call: Call, response: Response) {
                    synchronized(inFlight) { inFlight.remove(call) }
                    val result =
                        try {
                            response.use {
                                val body = it.body.bytes()
                                HttpResult.Response(HttpResponse(it.code.toUShort(), body.toUByteList()))
                            }
                        } catch (e: IOException) {
                            failed(e)
                        }
                    resolve(id, result)
                }
            },
        )
    }

    private fun resolve(id: UInt, result: HttpResult) {
        onCoreThread { handle(ffi.resolve(id, result.bincodeSerialize())) }
    }

    companion object {
        /** Decode the `Vec<ShellRequest>` that `start`, `update` and `resolve` return. */
        fun decodeRequests(bytes: ByteArray): List<ShellRequest> {
            val deserializer = BincodeDeserializer(bytes)
            val requests = deserializer.deserializeListOf { ShellRequest.deserialize(it) }
            if (deserializer.get_buffer_offset() < bytes.size) {
                throw com.novi.serde.DeserializationError("Some input bytes were not read")
            }
            return requests
        }

        internal fun failed(e: IOException): HttpResult {
            val kind =
                when (e) {
                    is InterruptedIOException -> HttpFailureKind.TIMEOUT
                    else -> HttpFailureKind.CONNECTION
                }
            return HttpResult.Failed(HttpFailure(kind, e.toString()))
        }
    }
}

internal fun HttpRequest.toOkHttp(): Request {
    val builder = Request.Builder().url(url)
    for (header in headers) {
        builder.addHeader(header.name, header.value)
    }
    val bytes = body.toByteArrayOfUBytes()
    when (method) {
        HttpMethod.GET -> builder.get()
        HttpMethod.POST -> builder.post(bytes.toRequestBody())
        HttpMethod.PUT -> builder.put(bytes.toRequestBody())
    }
    return builder.build()
}

internal fun List<UByte>.toByteArrayOfUBytes(): ByteArray = ByteArray(size) { this[it].toByte() }

internal fun ByteArray.toUByteList(): List<UByte> = List(size) { this[it].toUByte() }
