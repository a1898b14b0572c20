package org.workvoice.core.types

import com.novi.bincode.BincodeDeserializer
import com.novi.bincode.BincodeSerializer
import com.novi.serde.DeserializationError
import com.novi.serde.Deserializer
import com.novi.serde.Serializer

fun <T> List<T>.serialize(
    serializer: Serializer,
    serializeElement: Serializer.(T) -> Unit,
) {
    serializer.serialize_len(size.toLong())
    forEach { element ->
        serializer.serializeElement(element)
    }
}

fun <T> Deserializer.deserializeListOf(deserializeElement: (Deserializer) -> T): List<T> {
    val length = deserialize_len()
    val list = mutableListOf<T>()
    repeat(length.toInt()) {
        list.add(deserializeElement(this))
    }
    return list
}

fun <T> T?.serializeOptionOf(
    serializer: Serializer,
    serializeElement: Serializer.(T) -> Unit,
) {
    if (this != null) {
        serializer.serialize_option_tag(true)
        serializer.serializeElement(this)
    } else {
        serializer.serialize_option_tag(false)
    }
}

fun <T> Deserializer.deserializeOptionOf(deserializeElement: (Deserializer) -> T): T? {
    val tag = deserialize_option_tag()
    return if (tag) {
        deserializeElement(this)
    } else {
        null
    }
}

/// A button of the form: [`super::Event::Act`] with its `id`.
data class Action(
    val id: org.workvoice.core.types.ActionId,
    val label: String,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        id.serialize(serializer)
        serializer.serialize_str(label)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): Action {
            deserializer.increase_container_depth()
            val id = org.workvoice.core.types.ActionId.deserialize(deserializer)
            val label = deserializer.deserialize_str()
            deserializer.decrease_container_depth()
            return Action(id, label)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): Action {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// The buttons of the form. [`ActionId::PickEvidence`] is the one the shell answers itself:
/// it opens the platform's photo picker and sends [`super::Event::AddEvidenceFile`] (see the
/// shell contract in `ARCHITECTURE.md`); the core ignores it.
enum class ActionId {
    ADDFEE,
    ADDDEDUCTION,
    ADDLOAN,
    PICKEVIDENCE;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): ActionId {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> ADDFEE
                1 -> ADDDEDUCTION
                2 -> ADDLOAN
                3 -> PICKEVIDENCE
                else -> throw DeserializationError("Unknown variant index for ActionId: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ActionId {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// Settings of one app instance, given by the shell when the core starts.
data class AppConfig(
    /// Base URL of the relay, e.g. `https://relay.example.org`.
    val relayUrl: String,
    /// Hex of the root public key; `None` uses the built-in one. Tests set it.
    val rootPublicKey: String? = null,
    /// The phone's language (BCP 47), used until the worker chooses one.
    val systemLanguage: String,
    /// First delay of the send/upload retry backoff, in milliseconds.
    val retryBaseMs: ULong,
    /// Longest delay of the retry backoff.
    val retryCapMs: ULong,
    /// Mailbox polling interval when something new arrived.
    val mailboxPollBaseMs: ULong,
    /// Longest interval between mailbox polls.
    val mailboxPollCapMs: ULong,
    /// Timeout of each HTTP request.
    val httpTimeoutMs: ULong,
    /// Bytes per evidence upload request.
    val uploadChunkBytes: UInt,
    /// An OHTTP relay (`https://` URL) to try before those the signed directory lists
    /// (`PROTOCOL.md` 14.8): a deployment's own, or one the worker was given. `None`: only the
    /// listed ones.
    val ohttpRelay: String? = null,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(relayUrl)
        rootPublicKey.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        serializer.serialize_str(systemLanguage)
        serializer.serialize_u64(retryBaseMs)
        serializer.serialize_u64(retryCapMs)
        serializer.serialize_u64(mailboxPollBaseMs)
        serializer.serialize_u64(mailboxPollCapMs)
        serializer.serialize_u64(httpTimeoutMs)
        serializer.serialize_u32(uploadChunkBytes)
        ohttpRelay.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): AppConfig {
            deserializer.increase_container_depth()
            val relayUrl = deserializer.deserialize_str()
            val rootPublicKey =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            val systemLanguage = deserializer.deserialize_str()
            val retryBaseMs = deserializer.deserialize_u64()
            val retryCapMs = deserializer.deserialize_u64()
            val mailboxPollBaseMs = deserializer.deserialize_u64()
            val mailboxPollCapMs = deserializer.deserialize_u64()
            val httpTimeoutMs = deserializer.deserialize_u64()
            val uploadChunkBytes = deserializer.deserialize_u32()
            val ohttpRelay =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            deserializer.decrease_container_depth()
            return AppConfig(relayUrl, rootPublicKey, systemLanguage, retryBaseMs, retryCapMs, mailboxPollBaseMs, mailboxPollCapMs, httpTimeoutMs, uploadChunkBytes, ohttpRelay)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): AppConfig {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// One choice of a picker, or one toggle.
data class Choice(
    val code: String,
    val label: String,
    val selected: Boolean,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(code)
        serializer.serialize_str(label)
        serializer.serialize_bool(selected)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): Choice {
            deserializer.increase_container_depth()
            val code = deserializer.deserialize_str()
            val label = deserializer.deserialize_str()
            val selected = deserializer.deserialize_bool()
            deserializer.decrease_container_depth()
            return Choice(code, label, selected)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): Choice {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class ComposeView(
    val step: org.workvoice.core.types.Step,
    val help: String,
    val counter: String,
    val stepNumber: UInt,
    val stepCount: UInt,
    val steps: List<org.workvoice.core.types.StepChoice>,
    val fields: List<org.workvoice.core.types.Field>,
    val options: List<org.workvoice.core.types.OptionGroup>,
    val items: List<org.workvoice.core.types.ListItem>,
    /// The step's problems that belong to no input shown (an added payment that is wrong):
    /// shown above the inputs.
    val errors: List<org.workvoice.core.types.FieldMessage>,
    val actions: List<org.workvoice.core.types.Action>,
    val next: String,
    val back: String,
    val discard: String,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        step.serialize(serializer)
        serializer.serialize_str(help)
        serializer.serialize_str(counter)
        serializer.serialize_u32(stepNumber)
        serializer.serialize_u32(stepCount)
        steps.serialize(serializer) {
            it.serialize(serializer)
        }
        fields.serialize(serializer) {
            it.serialize(serializer)
        }
        options.serialize(serializer) {
            it.serialize(serializer)
        }
        items.serialize(serializer) {
            it.serialize(serializer)
        }
        errors.serialize(serializer) {
            it.serialize(serializer)
        }
        actions.serialize(serializer) {
            it.serialize(serializer)
        }
        serializer.serialize_str(next)
        serializer.serialize_str(back)
        serializer.serialize_str(discard)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): ComposeView {
            deserializer.increase_container_depth()
            val step = org.workvoice.core.types.Step.deserialize(deserializer)
            val help = deserializer.deserialize_str()
            val counter = deserializer.deserialize_str()
            val stepNumber = deserializer.deserialize_u32()
            val stepCount = deserializer.deserialize_u32()
            val steps =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.StepChoice.deserialize(deserializer)
                }
            val fields =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.Field.deserialize(deserializer)
                }
            val options =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.OptionGroup.deserialize(deserializer)
                }
            val items =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.ListItem.deserialize(deserializer)
                }
            val errors =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.FieldMessage.deserialize(deserializer)
                }
            val actions =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.Action.deserialize(deserializer)
                }
            val next = deserializer.deserialize_str()
            val back = deserializer.deserialize_str()
            val discard = deserializer.deserialize_str()
            deserializer.decrease_container_depth()
            return ComposeView(step, help, counter, stepNumber, stepCount, steps, fields, options, items, errors, actions, next, back, discard)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ComposeView {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

enum class DeliveryState {
    DRAFT,
    WAITING,
    SENDING,
    SENT,
    DELIVERED,
    ACKNOWLEDGED,
    REPLIED,
    FAILED;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): DeliveryState {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> DRAFT
                1 -> WAITING
                2 -> SENDING
                3 -> SENT
                4 -> DELIVERED
                5 -> ACKNOWLEDGED
                6 -> REPLIED
                7 -> FAILED
                else -> throw DeserializationError("Unknown variant index for DeliveryState: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): DeliveryState {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// What the worker does, as the shell reports it.
sealed interface Event {
    fun serialize(serializer: Serializer)

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    data class ChooseLanguage(
        val language: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(0)
            serializer.serialize_str(language)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): ChooseLanguage {
                deserializer.increase_container_depth()
                val language = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return ChooseLanguage(language)
            }
        }
    }

    data object StartSetup: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(1)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): StartSetup {
            return StartSetup
        }
    }

    data object StartRecovery: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(2)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): StartRecovery {
            return StartRecovery
        }
    }

    data class SubmitNewPin(
        val pin: String,
        val confirm: String,
        val duressPin: String? = null,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(3)
            serializer.serialize_str(pin)
            serializer.serialize_str(confirm)
            duressPin.serializeOptionOf(serializer) {
                serializer.serialize_str(it)
            }
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SubmitNewPin {
                deserializer.increase_container_depth()
                val pin = deserializer.deserialize_str()
                val confirm = deserializer.deserialize_str()
                val duressPin =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_str()
                    }
                deserializer.decrease_container_depth()
                return SubmitNewPin(pin, confirm, duressPin)
            }
        }
    }

    data object RecoveryCodeWritten: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(4)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): RecoveryCodeWritten {
            return RecoveryCodeWritten
        }
    }

    data class SubmitRecoveryCode(
        val code: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(5)
            serializer.serialize_str(code)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SubmitRecoveryCode {
                deserializer.increase_container_depth()
                val code = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SubmitRecoveryCode(code)
            }
        }
    }

    data class Unlock(
        val pin: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(6)
            serializer.serialize_str(pin)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Unlock {
                deserializer.increase_container_depth()
                val pin = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Unlock(pin)
            }
        }
    }

    data object Lock: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(7)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): Lock {
            return Lock
        }
    }

    /// The app left the screen (Android `onStop`, iOS `scenePhase` background): it locks at
    /// once. Not a tap: it does not count as activity.
    data object Background: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(8)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): Background {
            return Background
        }
    }

    /// The worker is typing in a field (the shell sends it at most every few seconds while she
    /// types; the text itself goes with the step's event): the idle clock starts again.
    data object Typing: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(9)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): Typing {
            return Typing
        }
    }

    data object GoHome: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(10)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): GoHome {
            return GoHome
        }
    }

    data object OpenOutbox: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(11)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): OpenOutbox {
            return OpenOutbox
        }
    }

    data object OpenSettings: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(12)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): OpenSettings {
            return OpenSettings
        }
    }

    data class OpenReport(
        val reportId: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(13)
            serializer.serialize_str(reportId)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): OpenReport {
                deserializer.increase_container_depth()
                val reportId = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return OpenReport(reportId)
            }
        }
    }

    data object NewReport: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(14)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): NewReport {
            return NewReport
        }
    }

    data class GoToStep(
        val step: org.workvoice.core.types.Step,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(15)
            step.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): GoToStep {
                deserializer.increase_container_depth()
                val step = org.workvoice.core.types.Step.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return GoToStep(step)
            }
        }
    }

    data object NextStep: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(16)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): NextStep {
            return NextStep
        }
    }

    data object PreviousStep: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(17)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): PreviousStep {
            return PreviousStep
        }
    }

    data class AddFee(
        val amount: String,
        val currency: String,
        val payee: String,
        val stage: String,
        val category: String,
        val paidOn: String,
        val receipt: Boolean? = null,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(18)
            serializer.serialize_str(amount)
            serializer.serialize_str(currency)
            serializer.serialize_str(payee)
            serializer.serialize_str(stage)
            serializer.serialize_str(category)
            serializer.serialize_str(paidOn)
            receipt.serializeOptionOf(serializer) {
                serializer.serialize_bool(it)
            }
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): AddFee {
                deserializer.increase_container_depth()
                val amount = deserializer.deserialize_str()
                val currency = deserializer.deserialize_str()
                val payee = deserializer.deserialize_str()
                val stage = deserializer.deserialize_str()
                val category = deserializer.deserialize_str()
                val paidOn = deserializer.deserialize_str()
                val receipt =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_bool()
                    }
                deserializer.decrease_container_depth()
                return AddFee(amount, currency, payee, stage, category, paidOn, receipt)
            }
        }
    }

    data class RemoveFee(
        val index: UInt,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(19)
            serializer.serialize_u32(index)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): RemoveFee {
                deserializer.increase_container_depth()
                val index = deserializer.deserialize_u32()
                deserializer.decrease_container_depth()
                return RemoveFee(index)
            }
        }
    }

    data class AddDeduction(
        val amount: String,
        val currency: String,
        val reason: String,
        val monthly: Boolean,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(20)
            serializer.serialize_str(amount)
            serializer.serialize_str(currency)
            serializer.serialize_str(reason)
            serializer.serialize_bool(monthly)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): AddDeduction {
                deserializer.increase_container_depth()
                val amount = deserializer.deserialize_str()
                val currency = deserializer.deserialize_str()
                val reason = deserializer.deserialize_str()
                val monthly = deserializer.deserialize_bool()
                deserializer.decrease_container_depth()
                return AddDeduction(amount, currency, reason, monthly)
            }
        }
    }

    data class RemoveDeduction(
        val index: UInt,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(21)
            serializer.serialize_u32(index)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): RemoveDeduction {
                deserializer.increase_container_depth()
                val index = deserializer.deserialize_u32()
                deserializer.decrease_container_depth()
                return RemoveDeduction(index)
            }
        }
    }

    /// A loan taken to get the job. `interest` is percent per month as typed ("3", "2.5"),
    /// empty when not known.
    data class AddLoan(
        val amount: String,
        val currency: String,
        val lender: String,
        val interest: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(22)
            serializer.serialize_str(amount)
            serializer.serialize_str(currency)
            serializer.serialize_str(lender)
            serializer.serialize_str(interest)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): AddLoan {
                deserializer.increase_container_depth()
                val amount = deserializer.deserialize_str()
                val currency = deserializer.deserialize_str()
                val lender = deserializer.deserialize_str()
                val interest = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return AddLoan(amount, currency, lender, interest)
            }
        }
    }

    data class RemoveLoan(
        val index: UInt,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(23)
            serializer.serialize_u32(index)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): RemoveLoan {
                deserializer.increase_container_depth()
                val index = deserializer.deserialize_u32()
                deserializer.decrease_container_depth()
                return RemoveLoan(index)
            }
        }
    }

    /// The job, pay and employer promised before departure, and the job found (the pay found
    /// is [`Event::SetWage`], the employer found [`Event::SetEmployer`]). Empty texts clear a
    /// field.
    data class SetJob(
        val promisedTitle: String,
        val promisedWage: String,
        val promisedCurrency: String,
        val actualTitle: String,
        val promisedEmployer: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(24)
            serializer.serialize_str(promisedTitle)
            serializer.serialize_str(promisedWage)
            serializer.serialize_str(promisedCurrency)
            serializer.serialize_str(actualTitle)
            serializer.serialize_str(promisedEmployer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetJob {
                deserializer.increase_container_depth()
                val promisedTitle = deserializer.deserialize_str()
                val promisedWage = deserializer.deserialize_str()
                val promisedCurrency = deserializer.deserialize_str()
                val actualTitle = deserializer.deserialize_str()
                val promisedEmployer = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetJob(promisedTitle, promisedWage, promisedCurrency, actualTitle, promisedEmployer)
            }
        }
    }

    data class SetIndicator(
        val indicator: String,
        val present: Boolean,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(25)
            serializer.serialize_str(indicator)
            serializer.serialize_bool(present)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetIndicator {
                deserializer.increase_container_depth()
                val indicator = deserializer.deserialize_str()
                val present = deserializer.deserialize_bool()
                deserializer.decrease_container_depth()
                return SetIndicator(indicator, present)
            }
        }
    }

    data class SetRecruiter(
        val name: String,
        val licenceNumber: String,
        val country: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(26)
            serializer.serialize_str(name)
            serializer.serialize_str(licenceNumber)
            serializer.serialize_str(country)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetRecruiter {
                deserializer.increase_container_depth()
                val name = deserializer.deserialize_str()
                val licenceNumber = deserializer.deserialize_str()
                val country = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetRecruiter(name, licenceNumber, country)
            }
        }
    }

    data class SetEmployer(
        val name: String,
        val licenceNumber: String,
        val country: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(27)
            serializer.serialize_str(name)
            serializer.serialize_str(licenceNumber)
            serializer.serialize_str(country)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetEmployer {
                deserializer.increase_container_depth()
                val name = deserializer.deserialize_str()
                val licenceNumber = deserializer.deserialize_str()
                val country = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetEmployer(name, licenceNumber, country)
            }
        }
    }

    data class SetPlace(
        val destinationCountry: String,
        val originCountry: String,
        val sector: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(28)
            serializer.serialize_str(destinationCountry)
            serializer.serialize_str(originCountry)
            serializer.serialize_str(sector)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetPlace {
                deserializer.increase_container_depth()
                val destinationCountry = deserializer.deserialize_str()
                val originCountry = deserializer.deserialize_str()
                val sector = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetPlace(destinationCountry, originCountry, sector)
            }
        }
    }

    data class SetWage(
        val amount: String,
        val currency: String,
        val contractSubstituted: Boolean? = null,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(29)
            serializer.serialize_str(amount)
            serializer.serialize_str(currency)
            contractSubstituted.serializeOptionOf(serializer) {
                serializer.serialize_bool(it)
            }
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetWage {
                deserializer.increase_container_depth()
                val amount = deserializer.deserialize_str()
                val currency = deserializer.deserialize_str()
                val contractSubstituted =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_bool()
                    }
                deserializer.decrease_container_depth()
                return SetWage(amount, currency, contractSubstituted)
            }
        }
    }

    data class SetStory(
        val text: String,
        val language: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(30)
            serializer.serialize_str(text)
            serializer.serialize_str(language)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetStory {
                deserializer.increase_container_depth()
                val text = deserializer.deserialize_str()
                val language = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetStory(text, language)
            }
        }
    }

    data class AddEvidence(
        val bytes: List<UByte>,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(31)
            bytes.serialize(serializer) {
                serializer.serialize_u8(it)
            }
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): AddEvidence {
                deserializer.increase_container_depth()
                val bytes =
                    deserializer.deserializeListOf {
                        deserializer.deserialize_u8()
                    }
                deserializer.decrease_container_depth()
                return AddEvidence(bytes)
            }
        }
    }

    data class RemoveEvidence(
        val index: UInt,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(32)
            serializer.serialize_u32(index)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): RemoveEvidence {
                deserializer.increase_container_depth()
                val index = deserializer.deserialize_u32()
                deserializer.decrease_container_depth()
                return RemoveEvidence(index)
            }
        }
    }

    data class SetConsent(
        val union: Boolean,
        val inspectorate: Boolean,
        val ngo: Boolean,
        val contactWanted: Boolean,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(33)
            serializer.serialize_bool(union)
            serializer.serialize_bool(inspectorate)
            serializer.serialize_bool(ngo)
            serializer.serialize_bool(contactWanted)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetConsent {
                deserializer.increase_container_depth()
                val union = deserializer.deserialize_bool()
                val inspectorate = deserializer.deserialize_bool()
                val ngo = deserializer.deserialize_bool()
                val contactWanted = deserializer.deserialize_bool()
                deserializer.decrease_container_depth()
                return SetConsent(union, inspectorate, ngo, contactWanted)
            }
        }
    }

    data object Review: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(34)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): Review {
            return Review
        }
    }

    data object SendReport: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(35)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): SendReport {
            return SendReport
        }
    }

    data object DiscardDraft: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(36)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): DiscardDraft {
            return DiscardDraft
        }
    }

    data object Tick: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(37)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): Tick {
            return Tick
        }
    }

    data class RetryReport(
        val reportId: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(38)
            serializer.serialize_str(reportId)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): RetryReport {
                deserializer.increase_container_depth()
                val reportId = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return RetryReport(reportId)
            }
        }
    }

    /// Take a report back: a report not sent yet is deleted and never sent; for one that was
    /// sent, the organisations are asked to withdraw it.
    data class WithdrawReport(
        val reportId: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(39)
            serializer.serialize_str(reportId)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): WithdrawReport {
                deserializer.increase_container_depth()
                val reportId = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return WithdrawReport(reportId)
            }
        }
    }

    data object CheckMailbox: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(40)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): CheckMailbox {
            return CheckMailbox
        }
    }

    data class SetLanguage(
        val language: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(41)
            serializer.serialize_str(language)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetLanguage {
                deserializer.increase_container_depth()
                val language = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetLanguage(language)
            }
        }
    }

    /// Lock after this many seconds without a tap: one of the choices the settings show.
    data class SetAutoLock(
        val seconds: UInt,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(42)
            serializer.serialize_u32(seconds)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetAutoLock {
                deserializer.increase_container_depth()
                val seconds = deserializer.deserialize_u32()
                deserializer.decrease_container_depth()
                return SetAutoLock(seconds)
            }
        }
    }

    data object AskWipe: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(43)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): AskWipe {
            return AskWipe
        }
    }

    data object CancelWipe: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(44)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): CancelWipe {
            return CancelWipe
        }
    }

    data object ConfirmWipe: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(45)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): ConfirmWipe {
            return ConfirmWipe
        }
    }

    data object DismissNotice: Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(46)
            serializer.decrease_container_depth()
        }

        fun deserialize(deserializer: Deserializer): DismissNotice {
            return DismissNotice
        }
    }

    /// Add the file at `path` as evidence, read in bounded pieces by the host: the core strips
    /// it and seals it as it reads, and never holds it whole.
    data class AddEvidenceFile(
        val path: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(47)
            serializer.serialize_str(path)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): AddEvidenceFile {
                deserializer.increase_container_depth()
                val path = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return AddEvidenceFile(path)
            }
        }
    }

    /// The worker's consent setting for evidence sent and acknowledged: `true` keeps the sealed
    /// evidence on the phone until she removes the report; `false` (the default) deletes it
    /// once the relay has it all and every recipient acknowledged.
    data class SetKeepSentEvidence(
        val keep: Boolean,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(48)
            serializer.serialize_bool(keep)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetKeepSentEvidence {
                deserializer.increase_container_depth()
                val keep = deserializer.deserialize_bool()
                deserializer.decrease_container_depth()
                return SetKeepSentEvidence(keep)
            }
        }
    }

    /// What the worker typed in a text input of the compose form (the whole text, on each
    /// change). The core keeps it and shows it back; the report takes it when she leaves the
    /// step. Counts as activity for the idle lock.
    data class Input(
        val field: org.workvoice.core.types.FieldId,
        val value: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(49)
            field.serialize(serializer)
            serializer.serialize_str(value)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Input {
                deserializer.increase_container_depth()
                val field = org.workvoice.core.types.FieldId.deserialize(deserializer)
                val value = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Input(field, value)
            }
        }
    }

    /// A tap on a choice of the compose form: picks it, or toggles it in a `multiple` group.
    data class Pick(
        val field: org.workvoice.core.types.FieldId,
        val code: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(50)
            field.serialize(serializer)
            serializer.serialize_str(code)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Pick {
                deserializer.increase_container_depth()
                val field = org.workvoice.core.types.FieldId.deserialize(deserializer)
                val code = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Pick(field, code)
            }
        }
    }

    /// A button of the compose form.
    data class Act(
        val action: org.workvoice.core.types.ActionId,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(51)
            action.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Act {
                deserializer.increase_container_depth()
                val action = org.workvoice.core.types.ActionId.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Act(action)
            }
        }
    }

    /// Remove an added payment, deduction, loan or photo.
    data class RemoveItem(
        val list: org.workvoice.core.types.ListId,
        val index: UInt,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(52)
            list.serialize(serializer)
            serializer.serialize_u32(index)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): RemoveItem {
                deserializer.increase_container_depth()
                val list = org.workvoice.core.types.ListId.deserialize(deserializer)
                val index = deserializer.deserialize_u32()
                deserializer.decrease_container_depth()
                return RemoveItem(list, index)
            }
        }
    }

    /// The channel the draft is taken through (`Report::channel`): `sms` from the SMS channel
    /// (`workvoice-sms`), sent after `NewReport`. The app never sends it (absent means the
    /// app); an unknown name clears it.
    data class SetChannel(
        val channel: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(53)
            serializer.serialize_str(channel)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetChannel {
                deserializer.increase_container_depth()
                val channel = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetChannel(channel)
            }
        }
    }

    /// The visa she travelled or works on (`JobComparison::visa_type`), by its wire name;
    /// empty clears it.
    data class SetVisa(
        val visaType: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(54)
            serializer.serialize_str(visaType)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetVisa {
                deserializer.increase_container_depth()
                val visaType = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetVisa(visaType)
            }
        }
    }

    /// The worker's setting for when no OHTTP relay answers (`PROTOCOL.md` 14.8): `false`
    /// (the default) waits and tells her; `true` sends directly to the relay.
    data class SetSendDirectly(
        val sendDirectly: Boolean,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(55)
            serializer.serialize_bool(sendDirectly)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetSendDirectly {
                deserializer.increase_container_depth()
                val sendDirectly = deserializer.deserialize_bool()
                deserializer.decrease_container_depth()
                return SetSendDirectly(sendDirectly)
            }
        }
    }

    /// An OHTTP relay of the worker's own (an `https://` address), tried before all others;
    /// empty forgets it. Anything else is refused with a message next to the field.
    data class SetOhttpRelay(
        val url: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(56)
            serializer.serialize_str(url)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetOhttpRelay {
                deserializer.increase_container_depth()
                val url = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetOhttpRelay(url)
            }
        }
    }

    /// The escrow invite code a union gave the worker (`PROTOCOL.md` 18.12), as she typed it;
    /// empty forgets it. A code that does not read is refused with a message next to the
    /// field, and nothing is stored.
    data class SetEscrowInvite(
        val code: String,
    ) : Event {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(57)
            serializer.serialize_str(code)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetEscrowInvite {
                deserializer.increase_container_depth()
                val code = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return SetEscrowInvite(code)
            }
        }
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): Event {
            val index = deserializer.deserialize_variant_index()
            return when (index) {
                0 -> ChooseLanguage.deserialize(deserializer)
                1 -> StartSetup.deserialize(deserializer)
                2 -> StartRecovery.deserialize(deserializer)
                3 -> SubmitNewPin.deserialize(deserializer)
                4 -> RecoveryCodeWritten.deserialize(deserializer)
                5 -> SubmitRecoveryCode.deserialize(deserializer)
                6 -> Unlock.deserialize(deserializer)
                7 -> Lock.deserialize(deserializer)
                8 -> Background.deserialize(deserializer)
                9 -> Typing.deserialize(deserializer)
                10 -> GoHome.deserialize(deserializer)
                11 -> OpenOutbox.deserialize(deserializer)
                12 -> OpenSettings.deserialize(deserializer)
                13 -> OpenReport.deserialize(deserializer)
                14 -> NewReport.deserialize(deserializer)
                15 -> GoToStep.deserialize(deserializer)
                16 -> NextStep.deserialize(deserializer)
                17 -> PreviousStep.deserialize(deserializer)
                18 -> AddFee.deserialize(deserializer)
                19 -> RemoveFee.deserialize(deserializer)
                20 -> AddDeduction.deserialize(deserializer)
                21 -> RemoveDeduction.deserialize(deserializer)
                22 -> AddLoan.deserialize(deserializer)
                23 -> RemoveLoan.deserialize(deserializer)
                24 -> SetJob.deserialize(deserializer)
                25 -> SetIndicator.deserialize(deserializer)
                26 -> SetRecruiter.deserialize(deserializer)
                27 -> SetEmployer.deserialize(deserializer)
                28 -> SetPlace.deserialize(deserializer)
                29 -> SetWage.deserialize(deserializer)
                30 -> SetStory.deserialize(deserializer)
                31 -> AddEvidence.deserialize(deserializer)
                32 -> RemoveEvidence.deserialize(deserializer)
                33 -> SetConsent.deserialize(deserializer)
                34 -> Review.deserialize(deserializer)
                35 -> SendReport.deserialize(deserializer)
                36 -> DiscardDraft.deserialize(deserializer)
                37 -> Tick.deserialize(deserializer)
                38 -> RetryReport.deserialize(deserializer)
                39 -> WithdrawReport.deserialize(deserializer)
                40 -> CheckMailbox.deserialize(deserializer)
                41 -> SetLanguage.deserialize(deserializer)
                42 -> SetAutoLock.deserialize(deserializer)
                43 -> AskWipe.deserialize(deserializer)
                44 -> CancelWipe.deserialize(deserializer)
                45 -> ConfirmWipe.deserialize(deserializer)
                46 -> DismissNotice.deserialize(deserializer)
                47 -> AddEvidenceFile.deserialize(deserializer)
                48 -> SetKeepSentEvidence.deserialize(deserializer)
                49 -> Input.deserialize(deserializer)
                50 -> Pick.deserialize(deserializer)
                51 -> Act.deserialize(deserializer)
                52 -> RemoveItem.deserialize(deserializer)
                53 -> SetChannel.deserialize(deserializer)
                54 -> SetVisa.deserialize(deserializer)
                55 -> SetSendDirectly.deserialize(deserializer)
                56 -> SetOhttpRelay.deserialize(deserializer)
                57 -> SetEscrowInvite.deserialize(deserializer)
                else -> throw DeserializationError("Unknown variant index for Event: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): Event {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// A text input. The shell sends what is typed as [`super::Event::Input`] with its `id`, and
/// shows `value`, which the core keeps.
data class Field(
    val id: org.workvoice.core.types.FieldId,
    val label: String,
    val value: String,
    val kind: org.workvoice.core.types.InputKind,
    /// What is wrong with it, shown next to it.
    val errors: List<org.workvoice.core.types.FieldMessage>,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        id.serialize(serializer)
        serializer.serialize_str(label)
        serializer.serialize_str(value)
        kind.serialize(serializer)
        errors.serialize(serializer) {
            it.serialize(serializer)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): Field {
            deserializer.increase_container_depth()
            val id = org.workvoice.core.types.FieldId.deserialize(deserializer)
            val label = deserializer.deserialize_str()
            val value = deserializer.deserialize_str()
            val kind = org.workvoice.core.types.InputKind.deserialize(deserializer)
            val errors =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.FieldMessage.deserialize(deserializer)
                }
            deserializer.decrease_container_depth()
            return Field(id, label, value, kind, errors)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): Field {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// Every input of the compose form: a text input or a group of choices.
enum class FieldId {
    FEEAMOUNT,
    FEECURRENCY,
    FEEPAIDON,
    FEEPAYEE,
    FEESTAGE,
    FEECATEGORY,
    FEERECEIPT,
    DEDUCTIONREASON,
    LOANAMOUNT,
    LOANCURRENCY,
    LOANINTEREST,
    LOANLENDER,
    INDICATORS,
    RECRUITERNAME,
    RECRUITERLICENCENUMBER,
    RECRUITERCOUNTRY,
    EMPLOYERNAME,
    EMPLOYERLICENCENUMBER,
    EMPLOYERCOUNTRY,
    DESTINATIONCOUNTRY,
    ORIGINCOUNTRY,
    SECTOR,
    PROMISEDTITLE,
    PROMISEDWAGE,
    PROMISEDCURRENCY,
    PROMISEDEMPLOYER,
    ACTUALTITLE,
    WAGEAMOUNT,
    WAGECURRENCY,
    CONTRACTSUBSTITUTED,
    VISATYPE,
    STORYTEXT,
    STORYLANGUAGE,
    CONSENT,
    /// Send now, or wait until others report this recruiter (`PROTOCOL.md` 18.10): offered on
    /// the consent step when the report can be escrowed (`escrow::offered`).
    ESCROW;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): FieldId {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> FEEAMOUNT
                1 -> FEECURRENCY
                2 -> FEEPAIDON
                3 -> FEEPAYEE
                4 -> FEESTAGE
                5 -> FEECATEGORY
                6 -> FEERECEIPT
                7 -> DEDUCTIONREASON
                8 -> LOANAMOUNT
                9 -> LOANCURRENCY
                10 -> LOANINTEREST
                11 -> LOANLENDER
                12 -> INDICATORS
                13 -> RECRUITERNAME
                14 -> RECRUITERLICENCENUMBER
                15 -> RECRUITERCOUNTRY
                16 -> EMPLOYERNAME
                17 -> EMPLOYERLICENCENUMBER
                18 -> EMPLOYERCOUNTRY
                19 -> DESTINATIONCOUNTRY
                20 -> ORIGINCOUNTRY
                21 -> SECTOR
                22 -> PROMISEDTITLE
                23 -> PROMISEDWAGE
                24 -> PROMISEDCURRENCY
                25 -> PROMISEDEMPLOYER
                26 -> ACTUALTITLE
                27 -> WAGEAMOUNT
                28 -> WAGECURRENCY
                29 -> CONTRACTSUBSTITUTED
                30 -> VISATYPE
                31 -> STORYTEXT
                32 -> STORYLANGUAGE
                33 -> CONSENT
                34 -> ESCROW
                else -> throw DeserializationError("Unknown variant index for FieldId: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): FieldId {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// What is wrong with one field, in words.
data class FieldMessage(
    /// Path of the field, e.g. `fees[0].amount.currency`, or a form input such as `fee.amount`.
    val field: String,
    /// Stable code, e.g. `invalid_currency`.
    val code: String,
    val message: String,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(field)
        serializer.serialize_str(code)
        serializer.serialize_str(message)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): FieldMessage {
            deserializer.increase_container_depth()
            val field = deserializer.deserialize_str()
            val code = deserializer.deserialize_str()
            val message = deserializer.deserialize_str()
            deserializer.decrease_container_depth()
            return FieldMessage(field, code, message)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): FieldMessage {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// How the host is set up by the shell. Its `Debug` leaves out the platform secret.
data class HostConfig(
    /// A directory private to the app, where the vault lives.
    val dataDir: String,
    val app: org.workvoice.core.types.AppConfig,
    /// Cheap PIN hashing, for tests only: offers no protection.
    val insecureFastKdf: Boolean,
    /// Wrong PINs before the vault wipes itself (`0`: the default, 10).
    val maxPinAttempts: UInt,
    /// The 32-byte secret the platform keeps in its hardware-backed store (Android Keystore,
    /// iOS Keychain), mixed into the PIN's key-encryption key so that vault files copied off
    /// the phone cannot be brute-forced away from the attempt limit. Empty: none (tests and
    /// the command-line shell). Any other length is refused by [`Host::start`].
    val platformSecret: List<UByte>,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(dataDir)
        app.serialize(serializer)
        serializer.serialize_bool(insecureFastKdf)
        serializer.serialize_u32(maxPinAttempts)
        platformSecret.serialize(serializer) {
            serializer.serialize_u8(it)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): HostConfig {
            deserializer.increase_container_depth()
            val dataDir = deserializer.deserialize_str()
            val app = org.workvoice.core.types.AppConfig.deserialize(deserializer)
            val insecureFastKdf = deserializer.deserialize_bool()
            val maxPinAttempts = deserializer.deserialize_u32()
            val platformSecret =
                deserializer.deserializeListOf {
                    deserializer.deserialize_u8()
                }
            deserializer.decrease_container_depth()
            return HostConfig(dataDir, app, insecureFastKdf, maxPinAttempts, platformSecret)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): HostConfig {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class HttpFailure(
    val kind: org.workvoice.core.types.HttpFailureKind,
    /// For logs only; never shown as is.
    val message: String,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        kind.serialize(serializer)
        serializer.serialize_str(message)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): HttpFailure {
            deserializer.increase_container_depth()
            val kind = org.workvoice.core.types.HttpFailureKind.deserialize(deserializer)
            val message = deserializer.deserialize_str()
            deserializer.decrease_container_depth()
            return HttpFailure(kind, message)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): HttpFailure {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

enum class HttpFailureKind {
    TIMEOUT,
    CONNECTION,
    OTHER;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): HttpFailureKind {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> TIMEOUT
                1 -> CONNECTION
                2 -> OTHER
                else -> throw DeserializationError("Unknown variant index for HttpFailureKind: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): HttpFailureKind {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class HttpHeader(
    val name: String,
    val value: String,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(name)
        serializer.serialize_str(value)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): HttpHeader {
            deserializer.increase_container_depth()
            val name = deserializer.deserialize_str()
            val value = deserializer.deserialize_str()
            deserializer.decrease_container_depth()
            return HttpHeader(name, value)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): HttpHeader {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

enum class HttpMethod {
    GET,
    POST,
    PUT;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): HttpMethod {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> GET
                1 -> POST
                2 -> PUT
                else -> throw DeserializationError("Unknown variant index for HttpMethod: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): HttpMethod {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// An HTTP request for the shell to perform.
data class HttpRequest(
    val method: org.workvoice.core.types.HttpMethod,
    val url: String,
    val headers: List<org.workvoice.core.types.HttpHeader>,
    val body: List<UByte>,
    /// Give up after this long and resolve with [`HttpFailureKind::Timeout`].
    val timeoutMs: ULong,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        method.serialize(serializer)
        serializer.serialize_str(url)
        headers.serialize(serializer) {
            it.serialize(serializer)
        }
        body.serialize(serializer) {
            serializer.serialize_u8(it)
        }
        serializer.serialize_u64(timeoutMs)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): HttpRequest {
            deserializer.increase_container_depth()
            val method = org.workvoice.core.types.HttpMethod.deserialize(deserializer)
            val url = deserializer.deserialize_str()
            val headers =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.HttpHeader.deserialize(deserializer)
                }
            val body =
                deserializer.deserializeListOf {
                    deserializer.deserialize_u8()
                }
            val timeoutMs = deserializer.deserialize_u64()
            deserializer.decrease_container_depth()
            return HttpRequest(method, url, headers, body, timeoutMs)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): HttpRequest {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class HttpResponse(
    val status: UShort,
    val body: List<UByte>,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_u16(status)
        body.serialize(serializer) {
            serializer.serialize_u8(it)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): HttpResponse {
            deserializer.increase_container_depth()
            val status = deserializer.deserialize_u16()
            val body =
                deserializer.deserializeListOf {
                    deserializer.deserialize_u8()
                }
            deserializer.decrease_container_depth()
            return HttpResponse(status, body)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): HttpResponse {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// What the shell answers to an [`HttpRequest`].
sealed interface HttpResult {
    fun serialize(serializer: Serializer)

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    /// Any HTTP status, including 4xx and 5xx.
    data class Response(
        val value: org.workvoice.core.types.HttpResponse,
    ) : HttpResult {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(0)
            value.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Response {
                deserializer.increase_container_depth()
                val value = org.workvoice.core.types.HttpResponse.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Response(value)
            }
        }
    }

    /// No HTTP response: no signal, connection dropped, timed out.
    data class Failed(
        val value: org.workvoice.core.types.HttpFailure,
    ) : HttpResult {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(1)
            value.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Failed {
                deserializer.increase_container_depth()
                val value = org.workvoice.core.types.HttpFailure.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Failed(value)
            }
        }
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): HttpResult {
            val index = deserializer.deserialize_variant_index()
            return when (index) {
                0 -> Response.deserialize(deserializer)
                1 -> Failed.deserialize(deserializer)
                else -> throw DeserializationError("Unknown variant index for HttpResult: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): HttpResult {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// How a text input is typed: which keyboard, one line or several, corrections or not.
enum class InputKind {
    /// Words: a name, a job title. One line, corrections on.
    TEXT,
    /// A decimal number: an amount, a rate.
    NUMBER,
    /// A code typed as letters: a currency, a country, a language. No corrections.
    CODE,
    /// A date, `YYYY-MM-DD` or `YYYY-MM`.
    DATE,
    /// The worker's own words: several lines.
    LONGTEXT;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): InputKind {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> TEXT
                1 -> NUMBER
                2 -> CODE
                3 -> DATE
                4 -> LONGTEXT
                else -> throw DeserializationError("Unknown variant index for InputKind: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): InputKind {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// A labelled piece of information.
data class Line(
    val label: String,
    val value: String,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(label)
        serializer.serialize_str(value)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): Line {
            deserializer.increase_container_depth()
            val label = deserializer.deserialize_str()
            val value = deserializer.deserialize_str()
            deserializer.decrease_container_depth()
            return Line(label, value)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): Line {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// The lists of things already added, whose items can be removed by index.
enum class ListId {
    FEES,
    DEDUCTIONS,
    LOANS,
    EVIDENCE;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): ListId {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> FEES
                1 -> DEDUCTIONS
                2 -> LOANS
                3 -> EVIDENCE
                else -> throw DeserializationError("Unknown variant index for ListId: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ListId {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// Something already added (a payment, a photo) that [`super::Event::RemoveItem`] removes.
data class ListItem(
    val list: org.workvoice.core.types.ListId,
    val index: UInt,
    val text: String,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        list.serialize(serializer)
        serializer.serialize_u32(index)
        serializer.serialize_str(text)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): ListItem {
            deserializer.increase_container_depth()
            val list = org.workvoice.core.types.ListId.deserialize(deserializer)
            val index = deserializer.deserialize_u32()
            val text = deserializer.deserialize_str()
            deserializer.decrease_container_depth()
            return ListItem(list, index, text)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ListItem {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class MessageView(
    val from: String,
    val text: String,
    val language: String,
    /// Unix seconds, rounded to the hour.
    val atHour: ULong,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(from)
        serializer.serialize_str(text)
        serializer.serialize_str(language)
        serializer.serialize_u64(atHour)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): MessageView {
            deserializer.increase_container_depth()
            val from = deserializer.deserialize_str()
            val text = deserializer.deserialize_str()
            val language = deserializer.deserialize_str()
            val atHour = deserializer.deserialize_u64()
            deserializer.decrease_container_depth()
            return MessageView(from, text, language, atHour)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): MessageView {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class Notice(
    val text: String,
    val error: Boolean,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(text)
        serializer.serialize_bool(error)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): Notice {
            deserializer.increase_container_depth()
            val text = deserializer.deserialize_str()
            val error = deserializer.deserialize_bool()
            deserializer.decrease_container_depth()
            return Notice(text, error)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): Notice {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// Choices: a picker (one at a time), or toggles when `multiple`. A tap sends
/// [`super::Event::Pick`] with the group's `id` and the choice's `code`.
data class OptionGroup(
    val id: org.workvoice.core.types.FieldId,
    val label: String,
    val choices: List<org.workvoice.core.types.Choice>,
    val multiple: Boolean,
    val errors: List<org.workvoice.core.types.FieldMessage>,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        id.serialize(serializer)
        serializer.serialize_str(label)
        choices.serialize(serializer) {
            it.serialize(serializer)
        }
        serializer.serialize_bool(multiple)
        errors.serialize(serializer) {
            it.serialize(serializer)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): OptionGroup {
            deserializer.increase_container_depth()
            val id = org.workvoice.core.types.FieldId.deserialize(deserializer)
            val label = deserializer.deserialize_str()
            val choices =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.Choice.deserialize(deserializer)
                }
            val multiple = deserializer.deserialize_bool()
            val errors =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.FieldMessage.deserialize(deserializer)
                }
            deserializer.decrease_container_depth()
            return OptionGroup(id, label, choices, multiple, errors)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): OptionGroup {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class OutboxItem(
    /// Hex report id; empty for the unfinished draft.
    val reportId: String,
    val title: String,
    val state: org.workvoice.core.types.DeliveryState,
    val stateText: String,
    val detail: String? = null,
    val replies: UInt,
    /// Evidence files still to upload.
    val uploadsPending: UInt,
    val retry: String? = null,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(reportId)
        serializer.serialize_str(title)
        state.serialize(serializer)
        serializer.serialize_str(stateText)
        detail.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        serializer.serialize_u32(replies)
        serializer.serialize_u32(uploadsPending)
        retry.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): OutboxItem {
            deserializer.increase_container_depth()
            val reportId = deserializer.deserialize_str()
            val title = deserializer.deserialize_str()
            val state = org.workvoice.core.types.DeliveryState.deserialize(deserializer)
            val stateText = deserializer.deserialize_str()
            val detail =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            val replies = deserializer.deserialize_u32()
            val uploadsPending = deserializer.deserialize_u32()
            val retry =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            deserializer.decrease_container_depth()
            return OutboxItem(reportId, title, state, stateText, detail, replies, uploadsPending, retry)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): OutboxItem {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// Something only the platform can do, told to the shell. It needs no answer.
enum class PlatformOperation {
    /// The vault was wiped: delete the platform secret (Android Keystore, iOS Keychain) that
    /// was mixed into its key, so that nothing left of the old vault can ever be opened.
    FORGETPLATFORMSECRET;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): PlatformOperation {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> FORGETPLATFORMSECRET
                else -> throw DeserializationError("Unknown variant index for PlatformOperation: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): PlatformOperation {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class RecipientView(
    val orgId: String,
    val name: String,
    val kind: String,
    val reason: String,
    /// Why the phone will refuse to seal to it, if its key is not trusted.
    val problem: String? = null,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(orgId)
        serializer.serialize_str(name)
        serializer.serialize_str(kind)
        serializer.serialize_str(reason)
        problem.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): RecipientView {
            deserializer.increase_container_depth()
            val orgId = deserializer.deserialize_str()
            val name = deserializer.deserialize_str()
            val kind = deserializer.deserialize_str()
            val reason = deserializer.deserialize_str()
            val problem =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            deserializer.decrease_container_depth()
            return RecipientView(orgId, name, kind, reason, problem)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): RecipientView {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// The single operation `Render` implements.
data object RenderOperation {
    fun serialize(serializer: Serializer) {}

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    fun deserialize(deserializer: Deserializer): RenderOperation {
        return RenderOperation
    }

    @Throws(DeserializationError::class)
    fun bincodeDeserialize(input: ByteArray?): RenderOperation {
        if (input == null) {
            throw DeserializationError("Cannot deserialize null array")
        }
        val deserializer = BincodeDeserializer(input)
        val value = deserialize(deserializer)
        if (deserializer.get_buffer_offset() < input.size) {
            throw DeserializationError("Some input bytes were not read")
        }
        return value
    }
}

data class ReportView(
    val item: org.workvoice.core.types.OutboxItem,
    val statusesTitle: String,
    val statuses: List<String>,
    val messagesTitle: String,
    val messages: List<org.workvoice.core.types.MessageView>,
    val empty: String,
    val rejected: String? = null,
    /// The label of the withdraw button (`Event::WithdrawReport`), when the report can still
    /// be withdrawn: deleted if it was never sent, otherwise asked back from the organisations.
    val withdraw: String? = null,
    /// Where a withdrawal the worker asked for stands.
    val withdrawal: String? = null,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        item.serialize(serializer)
        serializer.serialize_str(statusesTitle)
        statuses.serialize(serializer) {
            serializer.serialize_str(it)
        }
        serializer.serialize_str(messagesTitle)
        messages.serialize(serializer) {
            it.serialize(serializer)
        }
        serializer.serialize_str(empty)
        rejected.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        withdraw.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        withdrawal.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): ReportView {
            deserializer.increase_container_depth()
            val item = org.workvoice.core.types.OutboxItem.deserialize(deserializer)
            val statusesTitle = deserializer.deserialize_str()
            val statuses =
                deserializer.deserializeListOf {
                    deserializer.deserialize_str()
                }
            val messagesTitle = deserializer.deserialize_str()
            val messages =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.MessageView.deserialize(deserializer)
                }
            val empty = deserializer.deserialize_str()
            val rejected =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            val withdraw =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            val withdrawal =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            deserializer.decrease_container_depth()
            return ReportView(item, statusesTitle, statuses, messagesTitle, messages, empty, rejected, withdraw, withdrawal)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ReportView {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class ReviewView(
    val intro: String,
    /// Exactly what the relay will see (the routing tags and the consent).
    val disclosed: List<org.workvoice.core.types.Line>,
    val recipientsTitle: String,
    val recipients: List<org.workvoice.core.types.RecipientView>,
    val withheldTitle: String,
    val withheld: List<org.workvoice.core.types.RecipientView>,
    val note: String? = null,
    val summary: List<String>,
    val send: String,
    val edit: String,
    val canSend: Boolean,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(intro)
        disclosed.serialize(serializer) {
            it.serialize(serializer)
        }
        serializer.serialize_str(recipientsTitle)
        recipients.serialize(serializer) {
            it.serialize(serializer)
        }
        serializer.serialize_str(withheldTitle)
        withheld.serialize(serializer) {
            it.serialize(serializer)
        }
        note.serializeOptionOf(serializer) {
            serializer.serialize_str(it)
        }
        summary.serialize(serializer) {
            serializer.serialize_str(it)
        }
        serializer.serialize_str(send)
        serializer.serialize_str(edit)
        serializer.serialize_bool(canSend)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): ReviewView {
            deserializer.increase_container_depth()
            val intro = deserializer.deserialize_str()
            val disclosed =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.Line.deserialize(deserializer)
                }
            val recipientsTitle = deserializer.deserialize_str()
            val recipients =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.RecipientView.deserialize(deserializer)
                }
            val withheldTitle = deserializer.deserialize_str()
            val withheld =
                deserializer.deserializeListOf {
                    org.workvoice.core.types.RecipientView.deserialize(deserializer)
                }
            val note =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_str()
                }
            val summary =
                deserializer.deserializeListOf {
                    deserializer.deserialize_str()
                }
            val send = deserializer.deserialize_str()
            val edit = deserializer.deserialize_str()
            val canSend = deserializer.deserialize_bool()
            deserializer.decrease_container_depth()
            return ReviewView(intro, disclosed, recipientsTitle, recipients, withheldTitle, withheld, note, summary, send, edit, canSend)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ReviewView {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

sealed interface Screen {
    fun serialize(serializer: Serializer)

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    data class Loading(
        val text: String,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(0)
            serializer.serialize_str(text)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Loading {
                deserializer.increase_container_depth()
                val text = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Loading(text)
            }
        }
    }

    data class Welcome(
        val intro: String,
        val chooseLanguage: String,
        val languages: List<org.workvoice.core.types.Choice>,
        val start: String,
        val recover: String,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(1)
            serializer.serialize_str(intro)
            serializer.serialize_str(chooseLanguage)
            languages.serialize(serializer) {
                it.serialize(serializer)
            }
            serializer.serialize_str(start)
            serializer.serialize_str(recover)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Welcome {
                deserializer.increase_container_depth()
                val intro = deserializer.deserialize_str()
                val chooseLanguage = deserializer.deserialize_str()
                val languages =
                    deserializer.deserializeListOf {
                        org.workvoice.core.types.Choice.deserialize(deserializer)
                    }
                val start = deserializer.deserialize_str()
                val recover = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Welcome(intro, chooseLanguage, languages, start, recover)
            }
        }
    }

    data class SetPin(
        val intro: String,
        val pinLabel: String,
        val confirmLabel: String,
        val duressLabel: String,
        val duressHelp: String,
        val submit: String,
        val error: String? = null,
        val recovering: Boolean,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(2)
            serializer.serialize_str(intro)
            serializer.serialize_str(pinLabel)
            serializer.serialize_str(confirmLabel)
            serializer.serialize_str(duressLabel)
            serializer.serialize_str(duressHelp)
            serializer.serialize_str(submit)
            error.serializeOptionOf(serializer) {
                serializer.serialize_str(it)
            }
            serializer.serialize_bool(recovering)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): SetPin {
                deserializer.increase_container_depth()
                val intro = deserializer.deserialize_str()
                val pinLabel = deserializer.deserialize_str()
                val confirmLabel = deserializer.deserialize_str()
                val duressLabel = deserializer.deserialize_str()
                val duressHelp = deserializer.deserialize_str()
                val submit = deserializer.deserialize_str()
                val error =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_str()
                    }
                val recovering = deserializer.deserialize_bool()
                deserializer.decrease_container_depth()
                return SetPin(intro, pinLabel, confirmLabel, duressLabel, duressHelp, submit, error, recovering)
            }
        }
    }

    data class ShowRecoveryCode(
        val intro: String,
        val code: String,
        val done: String,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(3)
            serializer.serialize_str(intro)
            serializer.serialize_str(code)
            serializer.serialize_str(done)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): ShowRecoveryCode {
                deserializer.increase_container_depth()
                val intro = deserializer.deserialize_str()
                val code = deserializer.deserialize_str()
                val done = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return ShowRecoveryCode(intro, code, done)
            }
        }
    }

    data class EnterRecoveryCode(
        val intro: String,
        val codeLabel: String,
        val submit: String,
        val error: String? = null,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(4)
            serializer.serialize_str(intro)
            serializer.serialize_str(codeLabel)
            serializer.serialize_str(submit)
            error.serializeOptionOf(serializer) {
                serializer.serialize_str(it)
            }
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): EnterRecoveryCode {
                deserializer.increase_container_depth()
                val intro = deserializer.deserialize_str()
                val codeLabel = deserializer.deserialize_str()
                val submit = deserializer.deserialize_str()
                val error =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_str()
                    }
                deserializer.decrease_container_depth()
                return EnterRecoveryCode(intro, codeLabel, submit, error)
            }
        }
    }

    data class Recovering(
        val text: String,
        val checked: UInt,
        val found: UInt,
        val retry: String,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(5)
            serializer.serialize_str(text)
            serializer.serialize_u32(checked)
            serializer.serialize_u32(found)
            serializer.serialize_str(retry)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Recovering {
                deserializer.increase_container_depth()
                val text = deserializer.deserialize_str()
                val checked = deserializer.deserialize_u32()
                val found = deserializer.deserialize_u32()
                val retry = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Recovering(text, checked, found, retry)
            }
        }
    }

    data class Unlock(
        val pinLabel: String,
        val submit: String,
        val attemptsLeft: UInt,
        val attemptsText: String,
        val error: String? = null,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(6)
            serializer.serialize_str(pinLabel)
            serializer.serialize_str(submit)
            serializer.serialize_u32(attemptsLeft)
            serializer.serialize_str(attemptsText)
            error.serializeOptionOf(serializer) {
                serializer.serialize_str(it)
            }
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Unlock {
                deserializer.increase_container_depth()
                val pinLabel = deserializer.deserialize_str()
                val submit = deserializer.deserialize_str()
                val attemptsLeft = deserializer.deserialize_u32()
                val attemptsText = deserializer.deserialize_str()
                val error =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_str()
                    }
                deserializer.decrease_container_depth()
                return Unlock(pinLabel, submit, attemptsLeft, attemptsText, error)
            }
        }
    }

    data class Home(
        val newReport: String,
        val outbox: String,
        val outboxSummary: String,
        val settings: String,
        val lock: String,
        val hasDraft: Boolean,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(7)
            serializer.serialize_str(newReport)
            serializer.serialize_str(outbox)
            serializer.serialize_str(outboxSummary)
            serializer.serialize_str(settings)
            serializer.serialize_str(lock)
            serializer.serialize_bool(hasDraft)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Home {
                deserializer.increase_container_depth()
                val newReport = deserializer.deserialize_str()
                val outbox = deserializer.deserialize_str()
                val outboxSummary = deserializer.deserialize_str()
                val settings = deserializer.deserialize_str()
                val lock = deserializer.deserialize_str()
                val hasDraft = deserializer.deserialize_bool()
                deserializer.decrease_container_depth()
                return Home(newReport, outbox, outboxSummary, settings, lock, hasDraft)
            }
        }
    }

    data class Compose(
        val value: org.workvoice.core.types.ComposeView,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(8)
            value.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Compose {
                deserializer.increase_container_depth()
                val value = org.workvoice.core.types.ComposeView.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Compose(value)
            }
        }
    }

    data class Review(
        val value: org.workvoice.core.types.ReviewView,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(9)
            value.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Review {
                deserializer.increase_container_depth()
                val value = org.workvoice.core.types.ReviewView.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Review(value)
            }
        }
    }

    data class Outbox(
        val items: List<org.workvoice.core.types.OutboxItem>,
        val empty: String,
        val checkMailbox: String,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(10)
            items.serialize(serializer) {
                it.serialize(serializer)
            }
            serializer.serialize_str(empty)
            serializer.serialize_str(checkMailbox)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Outbox {
                deserializer.increase_container_depth()
                val items =
                    deserializer.deserializeListOf {
                        org.workvoice.core.types.OutboxItem.deserialize(deserializer)
                    }
                val empty = deserializer.deserialize_str()
                val checkMailbox = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Outbox(items, empty, checkMailbox)
            }
        }
    }

    data class Report(
        val value: org.workvoice.core.types.ReportView,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(11)
            value.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Report {
                deserializer.increase_container_depth()
                val value = org.workvoice.core.types.ReportView.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Report(value)
            }
        }
    }

    data class Settings(
        val languageLabel: String,
        val languages: List<org.workvoice.core.types.Choice>,
        /// "Lock the app after": the idle times to choose from (`SetAutoLock`, code in seconds).
        val autoLockLabel: String,
        val autoLock: List<org.workvoice.core.types.Choice>,
        /// The consent setting for sent evidence: `delete` (the default) or `keep`.
        val evidenceLabel: String,
        val evidenceHelp: String,
        val evidenceChoices: List<org.workvoice.core.types.Choice>,
        /// The setting for when no OHTTP relay answers (`SetSendDirectly`): `wait` (the
        /// default) or `direct`.
        val routeLabel: String,
        val routeHelp: String,
        val routeChoices: List<org.workvoice.core.types.Choice>,
        /// The worker's own OHTTP relay (`SetOhttpRelay` with the text typed): its current
        /// value, and the message for a refused one.
        val ohttpRelayLabel: String,
        val ohttpRelayHelp: String,
        val ohttpRelay: String,
        val ohttpRelayError: String? = null,
        val ohttpRelaySave: String,
        /// The escrow invite (`SetEscrowInvite` with the code typed; empty forgets it): the
        /// code kept is shown masked ("Code kept: WV-•••••-…"), never whole, and the input
        /// starts empty; the message for a refused one.
        val escrowInviteLabel: String,
        val escrowInviteHelp: String,
        val escrowInviteKept: String? = null,
        val escrowInviteError: String? = null,
        val escrowInviteSave: String,
        val wipe: String,
        val wipeWarning: String,
        val confirmWipe: Boolean,
        val confirm: String,
        val cancel: String,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(12)
            serializer.serialize_str(languageLabel)
            languages.serialize(serializer) {
                it.serialize(serializer)
            }
            serializer.serialize_str(autoLockLabel)
            autoLock.serialize(serializer) {
                it.serialize(serializer)
            }
            serializer.serialize_str(evidenceLabel)
            serializer.serialize_str(evidenceHelp)
            evidenceChoices.serialize(serializer) {
                it.serialize(serializer)
            }
            serializer.serialize_str(routeLabel)
            serializer.serialize_str(routeHelp)
            routeChoices.serialize(serializer) {
                it.serialize(serializer)
            }
            serializer.serialize_str(ohttpRelayLabel)
            serializer.serialize_str(ohttpRelayHelp)
            serializer.serialize_str(ohttpRelay)
            ohttpRelayError.serializeOptionOf(serializer) {
                serializer.serialize_str(it)
            }
            serializer.serialize_str(ohttpRelaySave)
            serializer.serialize_str(escrowInviteLabel)
            serializer.serialize_str(escrowInviteHelp)
            escrowInviteKept.serializeOptionOf(serializer) {
                serializer.serialize_str(it)
            }
            escrowInviteError.serializeOptionOf(serializer) {
                serializer.serialize_str(it)
            }
            serializer.serialize_str(escrowInviteSave)
            serializer.serialize_str(wipe)
            serializer.serialize_str(wipeWarning)
            serializer.serialize_bool(confirmWipe)
            serializer.serialize_str(confirm)
            serializer.serialize_str(cancel)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Settings {
                deserializer.increase_container_depth()
                val languageLabel = deserializer.deserialize_str()
                val languages =
                    deserializer.deserializeListOf {
                        org.workvoice.core.types.Choice.deserialize(deserializer)
                    }
                val autoLockLabel = deserializer.deserialize_str()
                val autoLock =
                    deserializer.deserializeListOf {
                        org.workvoice.core.types.Choice.deserialize(deserializer)
                    }
                val evidenceLabel = deserializer.deserialize_str()
                val evidenceHelp = deserializer.deserialize_str()
                val evidenceChoices =
                    deserializer.deserializeListOf {
                        org.workvoice.core.types.Choice.deserialize(deserializer)
                    }
                val routeLabel = deserializer.deserialize_str()
                val routeHelp = deserializer.deserialize_str()
                val routeChoices =
                    deserializer.deserializeListOf {
                        org.workvoice.core.types.Choice.deserialize(deserializer)
                    }
                val ohttpRelayLabel = deserializer.deserialize_str()
                val ohttpRelayHelp = deserializer.deserialize_str()
                val ohttpRelay = deserializer.deserialize_str()
                val ohttpRelayError =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_str()
                    }
                val ohttpRelaySave = deserializer.deserialize_str()
                val escrowInviteLabel = deserializer.deserialize_str()
                val escrowInviteHelp = deserializer.deserialize_str()
                val escrowInviteKept =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_str()
                    }
                val escrowInviteError =
                    deserializer.deserializeOptionOf {
                        deserializer.deserialize_str()
                    }
                val escrowInviteSave = deserializer.deserialize_str()
                val wipe = deserializer.deserialize_str()
                val wipeWarning = deserializer.deserialize_str()
                val confirmWipe = deserializer.deserialize_bool()
                val confirm = deserializer.deserialize_str()
                val cancel = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Settings(languageLabel, languages, autoLockLabel, autoLock, evidenceLabel, evidenceHelp, evidenceChoices, routeLabel, routeHelp, routeChoices, ohttpRelayLabel, ohttpRelayHelp, ohttpRelay, ohttpRelayError, ohttpRelaySave, escrowInviteLabel, escrowInviteHelp, escrowInviteKept, escrowInviteError, escrowInviteSave, wipe, wipeWarning, confirmWipe, confirm, cancel)
            }
        }
    }

    data class Broken(
        val text: String,
    ) : Screen {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(13)
            serializer.serialize_str(text)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Broken {
                deserializer.increase_container_depth()
                val text = deserializer.deserialize_str()
                deserializer.decrease_container_depth()
                return Broken(text)
            }
        }
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): Screen {
            val index = deserializer.deserialize_variant_index()
            return when (index) {
                0 -> Loading.deserialize(deserializer)
                1 -> Welcome.deserialize(deserializer)
                2 -> SetPin.deserialize(deserializer)
                3 -> ShowRecoveryCode.deserialize(deserializer)
                4 -> EnterRecoveryCode.deserialize(deserializer)
                5 -> Recovering.deserialize(deserializer)
                6 -> Unlock.deserialize(deserializer)
                7 -> Home.deserialize(deserializer)
                8 -> Compose.deserialize(deserializer)
                9 -> Review.deserialize(deserializer)
                10 -> Outbox.deserialize(deserializer)
                11 -> Report.deserialize(deserializer)
                12 -> Settings.deserialize(deserializer)
                13 -> Broken.deserialize(deserializer)
                else -> throw DeserializationError("Unknown variant index for Screen: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): Screen {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

sealed interface ShellEffect {
    fun serialize(serializer: Serializer)

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    /// Call `view` and redraw. Needs no `resolve`.
    data class Render(
        val value: org.workvoice.core.types.RenderOperation,
    ) : ShellEffect {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(0)
            value.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Render {
                deserializer.increase_container_depth()
                val value = org.workvoice.core.types.RenderOperation.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Render(value)
            }
        }
    }

    /// Perform the request, then `resolve(id, HttpResult)`.
    data class Http(
        val value: org.workvoice.core.types.HttpRequest,
    ) : ShellEffect {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(1)
            value.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Http {
                deserializer.increase_container_depth()
                val value = org.workvoice.core.types.HttpRequest.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Http(value)
            }
        }
    }

    /// Do what only the platform can (forget the platform secret after a wipe). Needs no
    /// `resolve`.
    data class Platform(
        val value: org.workvoice.core.types.PlatformOperation,
    ) : ShellEffect {
        override fun serialize(serializer: Serializer) {
            serializer.increase_container_depth()
            serializer.serialize_variant_index(2)
            value.serialize(serializer)
            serializer.decrease_container_depth()
        }

        companion object {
            fun deserialize(deserializer: Deserializer): Platform {
                deserializer.increase_container_depth()
                val value = org.workvoice.core.types.PlatformOperation.deserialize(deserializer)
                deserializer.decrease_container_depth()
                return Platform(value)
            }
        }
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): ShellEffect {
            val index = deserializer.deserialize_variant_index()
            return when (index) {
                0 -> Render.deserialize(deserializer)
                1 -> Http.deserialize(deserializer)
                2 -> Platform.deserialize(deserializer)
                else -> throw DeserializationError("Unknown variant index for ShellEffect: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ShellEffect {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// A request for the native shell: draw, or perform HTTP and call `resolve` with the id.
data class ShellRequest(
    val id: UInt,
    val effect: org.workvoice.core.types.ShellEffect,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_u32(id)
        effect.serialize(serializer)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): ShellRequest {
            deserializer.increase_container_depth()
            val id = deserializer.deserialize_u32()
            val effect = org.workvoice.core.types.ShellEffect.deserialize(deserializer)
            deserializer.decrease_container_depth()
            return ShellRequest(id, effect)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ShellRequest {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// The steps of writing a report, in order.
enum class Step {
    MONEY,
    WHATHAPPENED,
    PEOPLE,
    PLACE,
    WAGE,
    STORY,
    EVIDENCE,
    CONSENT;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): Step {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> MONEY
                1 -> WHATHAPPENED
                2 -> PEOPLE
                3 -> PLACE
                4 -> WAGE
                5 -> STORY
                6 -> EVIDENCE
                7 -> CONSENT
                else -> throw DeserializationError("Unknown variant index for Step: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): Step {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

/// One step of the compose flow, for a step bar: [`super::Event::GoToStep`] with it.
data class StepChoice(
    val step: org.workvoice.core.types.Step,
    val label: String,
    val selected: Boolean,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        step.serialize(serializer)
        serializer.serialize_str(label)
        serializer.serialize_bool(selected)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): StepChoice {
            deserializer.increase_container_depth()
            val step = org.workvoice.core.types.Step.deserialize(deserializer)
            val label = deserializer.deserialize_str()
            val selected = deserializer.deserialize_bool()
            deserializer.decrease_container_depth()
            return StepChoice(step, label, selected)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): StepChoice {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

enum class TextDirection {
    LTR,
    RTL;

    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_variant_index(ordinal)
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        @Throws(DeserializationError::class)
        fun deserialize(deserializer: Deserializer): TextDirection {
            deserializer.increase_container_depth()
            val index = deserializer.deserialize_variant_index()
            deserializer.decrease_container_depth()
            return when (index) {
                0 -> LTR
                1 -> RTL
                else -> throw DeserializationError("Unknown variant index for TextDirection: $index")
            }
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): TextDirection {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}

data class ViewModel(
    /// BCP 47 code of the language of every string here.
    val language: String,
    val direction: org.workvoice.core.types.TextDirection,
    val title: String,
    val screen: org.workvoice.core.types.Screen,
    val notice: org.workvoice.core.types.Notice? = null,
    /// Waiting for the phone (PIN check, saving): show progress, ignore taps.
    val busy: Boolean,
    /// Send [`super::Event::Tick`] after this many milliseconds (retries, mailbox checks).
    val wakeInMs: ULong? = null,
) {
    fun serialize(serializer: Serializer) {
        serializer.increase_container_depth()
        serializer.serialize_str(language)
        direction.serialize(serializer)
        serializer.serialize_str(title)
        screen.serialize(serializer)
        notice.serializeOptionOf(serializer) {
            it.serialize(serializer)
        }
        serializer.serialize_bool(busy)
        wakeInMs.serializeOptionOf(serializer) {
            serializer.serialize_u64(it)
        }
        serializer.decrease_container_depth()
    }

    fun bincodeSerialize(): ByteArray {
        val serializer = BincodeSerializer()
        serialize(serializer)
        return serializer.get_bytes()
    }

    companion object {
        fun deserialize(deserializer: Deserializer): ViewModel {
            deserializer.increase_container_depth()
            val language = deserializer.deserialize_str()
            val direction = org.workvoice.core.types.TextDirection.deserialize(deserializer)
            val title = deserializer.deserialize_str()
            val screen = org.workvoice.core.types.Screen.deserialize(deserializer)
            val notice =
                deserializer.deserializeOptionOf {
                    org.workvoice.core.types.Notice.deserialize(deserializer)
                }
            val busy = deserializer.deserialize_bool()
            val wakeInMs =
                deserializer.deserializeOptionOf {
                    deserializer.deserialize_u64()
                }
            deserializer.decrease_container_depth()
            return ViewModel(language, direction, title, screen, notice, busy, wakeInMs)
        }

        @Throws(DeserializationError::class)
        fun bincodeDeserialize(input: ByteArray?): ViewModel {
            if (input == null) {
                throw DeserializationError("Cannot deserialize null array")
            }
            val deserializer = BincodeDeserializer(input)
            val value = deserialize(deserializer)
            if (deserializer.get_buffer_offset() < input.size) {
                throw DeserializationError("Some input bytes were not read")
            }
            return value
        }
    }
}
