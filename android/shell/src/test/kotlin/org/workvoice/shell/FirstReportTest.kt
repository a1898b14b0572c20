package org.workvoice.shell

import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.util.Collections
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.io.path.absolutePathString
import kotlin.test.AfterTest
import kotlin.test.BeforeTest
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.fail
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import okhttp3.OkHttpClient
import org.workvoice.core.ffi.CoreFfi
import org.workvoice.core.ffi.CoreFfiException
import org.workvoice.core.types.ActionId
import org.workvoice.core.types.DeliveryState
import org.workvoice.core.types.Event
import org.workvoice.core.types.FieldId
import org.workvoice.core.types.HostConfig
import org.workvoice.core.types.ListId
import org.workvoice.core.types.Screen
import org.workvoice.core.types.ViewModel

/**
 * A worker's first report, end to end: the real native core (through the generated Kotlin
 * bindings and types, JNA) driven by [WorkvoiceCore] with OkHttp against a real relay, the
 * `workvoice-testbed` started by `scripts/test-kotlin`, which also plays the union that reads
 * the report and replies.
 */
class FirstReportTest {
    private lateinit var dir: Path
    private val cores = mutableListOf<WorkvoiceCore>()

    private fun env(name: String): String =
        System.getenv(name)?.takeIf { it.isNotBlank() }
            ?: fail("$name is not set: run scripts/test-kotlin, which builds the library, starts the testbed relay and exports it")

    private val relayUrl by lazy { env("WORKVOICE_RELAY_URL") }
    private val rootKey by lazy { env("WORKVOICE_ROOT_PUBLIC_KEY") }
    private val unionName by lazy { System.getenv("WORKVOICE_UNION_NAME") ?: "Building Workers Union" }

    @BeforeTest
    fun setUp() {
        dir = Files.createTempDirectory("workvoice-kotlin-")
    }

    @AfterTest
    fun tearDown() {
        cores.forEach { it.close() }
        dir.toFile().deleteRecursively()
    }

    private fun config() =
        HostConfig(
            dataDir = dir.resolve("vault").absolutePathString(),
            app =
                coreDefaultAppConfig().copy(
                    relayUrl = relayUrl,
                    rootPublicKey = rootKey,
                    systemLanguage = "en",
                    retryBaseMs = 200u,
                    retryCapMs = 1_000u,
                    mailboxPollBaseMs = 200u,
                    mailboxPollCapMs = 1_000u,
                    httpTimeoutMs = 10_000u,
                ),
            insecureFastKdf = true,
            maxPinAttempts = 5u,
            // As the Android app passes its Keystore-protected secret: the vault needs it too.
            platformSecret = platformSecret,
        )

    private val platformSecret: List<UByte> = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }.map { it.toUByte() }

    private val seenStates: MutableSet<DeliveryState> = Collections.synchronizedSet(mutableSetOf())

    /** Whether the latest view is the lock screen. */
    private val locked = AtomicBoolean(false)

    /** A faulty network: while unlocked, every submission is cut off before it leaves. */
    private val cutSubmissionsWhileUnlocked = AtomicBoolean(false)

    /** What went over the network, and whether the phone was locked then. */
    private val httpLog: MutableList<String> = Collections.synchronizedList(mutableListOf())

    private fun faultyClient(): OkHttpClient =
        OkHttpClient.Builder().addInterceptor { chain ->
            val request = chain.request()
            val mailbox = "/v1/mailbox/" in request.url.encodedPath
            val path = if (mailbox) "/v1/mailbox" else request.url.encodedPath
            val tag = if (locked.get()) " (locked)" else ""
            if (path == "/v1/submissions" && !locked.get() && cutSubmissionsWhileUnlocked.get()) {
                httpLog += "${request.method} $path -> cut off$tag"
                throw IOException("cut off by the test")
            }
            val response = chain.proceed(request)
            val reply =
                if (mailbox && response.code == 200 && "\"kind\":\"reply\"" in response.peekBody(1L shl 20).string()) {
                    " with a reply"
                } else {
                    ""
                }
            httpLog += "${request.method} $path -> ${response.code}$reply$tag"
            response
        }.build()

    private fun awaitLog(line: String, timeout: Duration = 90.seconds) {
        val until = System.nanoTime() + timeout.inWholeNanoseconds
        while (line !in httpLog.toList()) {
            if (System.nanoTime() > until) fail("timed out waiting for `$line`; HTTP: ${httpLog.toList().takeLast(10)}")
            Thread.sleep(50)
        }
    }

    private fun newCore(): WorkvoiceCore {
        val core =
            WorkvoiceCore(
                config(),
                faultyClient(),
                onViewModel = { view ->
                    locked.set(view.screen is Screen.Unlock)
                    (view.screen as? Screen.Outbox)?.items?.forEach { seenStates.add(it.state) }
                },
            )
        cores += core
        return core
    }

    private fun WorkvoiceCore.await(
        what: String,
        timeout: Duration = 60.seconds,
        predicate: (ViewModel) -> Boolean,
    ): ViewModel {
        val view =
            runBlocking {
                withTimeoutOrNull(timeout) { viewModel.first { it != null && predicate(it) } }
            }
        assertNull(failure.value, "the core failed")
        return view ?: fail("timed out waiting for $what; last view: ${viewModel.value}")
    }

    private inline fun <reified S : Screen> WorkvoiceCore.awaitScreen(
        timeout: Duration = 30.seconds,
        crossinline and: (S) -> Boolean = { true },
    ): S = await("the ${S::class.simpleName} screen", timeout) { (it.screen as? S)?.let(and) ?: false }.screen as S

    /** Dispatch, then wait for a view that `predicate` accepts and that came after the event. */
    private inline fun <reified S : Screen> WorkvoiceCore.send(
        event: Event,
        crossinline predicate: (S) -> Boolean = { true },
    ): S {
        val before = viewModel.value
        dispatch(event)
        return awaitScreen<S> { it != before?.screen && predicate(it) }
    }

    @Test
    fun `bad bytes are a typed error, not a crash`() {
        assertFailsWith<CoreFfiException.Decode> { CoreFfi(byteArrayOf(1, 2, 3)) }
        CoreFfi(config().bincodeSerialize()).use { core ->
            assertFailsWith<CoreFfiException.NotStarted> { core.view() }
        }
    }

    @Test
    fun `a first report is delivered and the union's reply is read on the phone`() {
        val core = newCore().start()
        core.awaitScreen<Screen.Welcome>()

        // First run: a mismatched PIN is refused, then the PIN and the recovery code.
        core.send<Screen.SetPin>(Event.StartSetup)
        val mismatch = core.send<Screen.SetPin>(Event.SubmitNewPin(PIN, "000000", null)) { it.error != null }
        assertNotNull(mismatch.error)
        val recovery = core.send<Screen.ShowRecoveryCode>(Event.SubmitNewPin(PIN, PIN, null))
        // 28 Crockford base-32 characters in groups of four, to write down.
        assertTrue(
            Regex("[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}").matches(recovery.code),
            "a recovery code to write down: ${recovery.code}",
        )
        core.send<Screen.Home>(Event.RecoveryCodeWritten)

        // Compose: a recruitment fee, two ILO indicators, recruiter, place, wage, story, consent.
        val money = core.send<Screen.Compose>(Event.NewReport).value
        assertEquals(1u, money.stepNumber)
        // As the app's compose screen does: type into and tap the inputs by the ids the view
        // gives; the core builds the payment.
        assertTrue(money.fields.any { it.id == FieldId.FEEAMOUNT }, money.fields.toString())
        core.dispatch(Event.Input(FieldId.FEEAMOUNT, "150000"))
        core.dispatch(Event.Input(FieldId.FEECURRENCY, "NPR"))
        core.dispatch(Event.Input(FieldId.FEEPAIDON, "2026-03"))
        core.dispatch(Event.Pick(FieldId.FEEPAYEE, "sub_agent"))
        core.dispatch(Event.Pick(FieldId.FEESTAGE, "origin"))
        core.dispatch(Event.Pick(FieldId.FEECATEGORY, "recruitment_service_fee"))
        core.dispatch(Event.Pick(FieldId.FEERECEIPT, "no"))
        val withFee =
            core.send<Screen.Compose>(Event.Act(ActionId.ADDFEE)) { c ->
                c.value.items.any { it.list == ListId.FEES }
            }.value
        assertTrue(withFee.items.single { it.list == ListId.FEES }.text.contains("150,000.00 NPR"), withFee.items.toString())
        assertTrue(withFee.fields.all { it.value.isEmpty() }, "the payment's inputs are emptied: ${withFee.fields}")
        core.send<Screen.Compose>(Event.NextStep) { it.value.stepNumber == 2u }
        core.dispatch(Event.SetIndicator("retention_of_identity_documents", true))
        val indicators =
            core.send<Screen.Compose>(Event.SetIndicator("withholding_of_wages", true)) { c ->
                c.value.options.flatMap { it.choices }.count { it.selected } == 2
            }.value
        assertEquals(
            listOf("retention_of_identity_documents", "withholding_of_wages"),
            indicators.options.flatMap { it.choices }.filter { it.selected }.map { it.code }.sorted(),
        )
        core.send<Screen.Compose>(Event.NextStep) { it.value.stepNumber == 3u }
        core.dispatch(Event.Input(FieldId.RECRUITERNAME, RECRUITER))
        core.dispatch(Event.Input(FieldId.RECRUITERLICENCENUMBER, "1234/067/068"))
        core.dispatch(Event.Input(FieldId.RECRUITERCOUNTRY, "NP"))
        core.send<Screen.Compose>(Event.NextStep) { it.value.stepNumber == 4u }
        core.dispatch(Event.SetPlace("QA", "NP", "F"))
        core.send<Screen.Compose>(Event.NextStep) { it.value.stepNumber == 5u }
        core.dispatch(Event.SetWage("1000", "QAR", true))
        core.send<Screen.Compose>(Event.NextStep) { it.value.stepNumber == 6u }
        core.dispatch(Event.SetStory("They kept my passport. No wages for three months.", "en"))
        core.send<Screen.Compose>(Event.NextStep) { it.value.stepNumber == 7u }
        val consent = core.send<Screen.Compose>(Event.NextStep) { it.value.stepNumber == 8u }
        assertEquals(8u, consent.value.stepCount)
        core.dispatch(Event.SetConsent(union = true, inspectorate = false, ngo = false, contactWanted = true))

        // Review: the directory is fetched and verified under the root key; the union will
        // receive the report, the others are withheld for lack of consent.
        core.dispatch(Event.NextStep)
        val review = core.awaitScreen<Screen.Review>(60.seconds) { it.value.recipients.isNotEmpty() }.value
        assertTrue(review.canSend, review.toString())
        assertEquals(listOf(unionName), review.recipients.map { it.name })
        assertTrue(review.withheld.isNotEmpty(), "the inspectorate and the NGO are withheld")
        assertTrue(review.disclosed.any { it.value.contains("QA") }, review.disclosed.toString())

        // Send, over a network that cuts every submission off while the app is open; then the
        // app goes to the background: it locks at once, shows nothing of the report, and
        // delivers without the PIN. The union (the testbed) opens the report, acknowledges it
        // and replies; the reply reaches the locked phone and waits there, sealed.
        cutSubmissionsWhileUnlocked.set(true)
        core.dispatch(Event.SendReport)
        awaitLog("POST /v1/submissions -> cut off")
        core.send<Screen.Unlock>(Event.Background)
        val shown = core.viewModel.value.toString()
        for (secret in listOf(RECRUITER, "passport", "150,000", recovery.code)) {
            assertTrue(secret !in shown, "the locked view shows $secret: $shown")
        }
        awaitLog("GET /v1/mailbox -> 200 with a reply (locked)")
        assertTrue("POST /v1/submissions -> 201 (locked)" in httpLog.toList(), httpLog.toList().toString())
        assertTrue(core.viewModel.value?.screen is Screen.Unlock)
        assertTrue("We received your report" !in core.viewModel.value.toString())

        // Unlocked: the reply is there at once.
        core.dispatch(Event.Unlock(PIN))
        core.awaitScreen<Screen.Home>()
        val outbox = core.send<Screen.Outbox>(Event.OpenOutbox)
        val item = outbox.items.single { it.reportId.isNotEmpty() }
        assertEquals(DeliveryState.REPLIED, item.state, outbox.toString())
        assertEquals(1u, item.replies)
        assertTrue(
            seenStates.all {
                it in setOf(
                    DeliveryState.WAITING,
                    DeliveryState.SENDING,
                    DeliveryState.SENT,
                    DeliveryState.DELIVERED,
                    DeliveryState.ACKNOWLEDGED,
                    DeliveryState.REPLIED,
                )
            },
            seenStates.toString(),
        )

        val report = core.send<Screen.Report>(Event.OpenReport(item.reportId)).value
        val message = report.messages.single()
        assertEquals("We received your report about $RECRUITER.", message.text)
        assertEquals(unionName, message.from)
        assertEquals("en", message.language)
        assertTrue(report.statuses.size >= 2, report.statuses.toString())
        assertTrue(report.statuses.all { it.contains(unionName) }, report.statuses.toString())

        // Lock; a wrong PIN costs an attempt; the right one opens the same outbox.
        core.send<Screen.Unlock>(Event.Lock)
        val wrong = core.send<Screen.Unlock>(Event.Unlock("000000")) { it.error != null }
        assertEquals(4u, wrong.attemptsLeft)
        core.dispatch(Event.Unlock(PIN))
        core.awaitScreen<Screen.Home>()
        val again = core.send<Screen.Outbox>(Event.OpenOutbox).items.filter { it.reportId.isNotEmpty() }
        assertEquals(listOf(item.reportId), again.map { it.reportId })
        assertEquals(DeliveryState.REPLIED, again.single().state)
    }

    private companion object {
        const val PIN = "482913"
        const val RECRUITER = "Sagarmatha Manpower Pvt. Ltd."
    }
}
