import Serde

func serializeArray<T, S: Serializer>(
    value: [T],
    serializer: S,
    serializeElement: (T, S) throws -> Void
) throws {
    try serializer.serialize_len(value: value.count)
    for item in value {
        try serializeElement(item, serializer)
    }
}

func deserializeArray<T, D: Deserializer>(
    deserializer: D,
    deserializeElement: (D) throws -> T
) throws -> [T] {
    let length = try deserializer.deserialize_len()
    var obj: [T] = []
    for _ in 0..<length {
        obj.append(try deserializeElement(deserializer))
    }
    return obj
}

func serializeOption<T, S: Serializer>(
    value: T?,
    serializer: S,
    serializeElement: (T, S) throws -> Void
) throws {
    if let value = value {
        try serializer.serialize_option_tag(value: true)
        try serializeElement(value, serializer)
    } else {
        try serializer.serialize_option_tag(value: false)
    }
}

func deserializeOption<T, D: Deserializer>(
    deserializer: D,
    deserializeElement: (D) throws -> T
) throws -> T? {
    let tag = try deserializer.deserialize_option_tag()
    if tag {
        return try deserializeElement(deserializer)
    } else {
        return nil
    }
}

/// A button of the form: [`super::Event::Act`] with its `id`.
public struct Action: Hashable, Equatable {
    public var id: ActionId
    public var label: String

    public init(id: ActionId, label: String) {
        self.id = id
        self.label = label
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.id.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.label)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> Action {
        try deserializer.increase_container_depth()
        let id = try ActionId.deserialize(deserializer: deserializer)
        let label = try deserializer.deserialize_str()
        try deserializer.decrease_container_depth()
        return Action(id: id, label: label)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> Action {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// The buttons of the form. [`ActionId::PickEvidence`] is the one the shell answers itself:
/// it opens the platform's photo picker and sends [`super::Event::AddEvidenceFile`] (see the
/// shell contract in `ARCHITECTURE.md`); the core ignores it.
indirect public enum ActionId: Hashable, Equatable {
    case addFee
    case addDeduction
    case addLoan
    case pickEvidence

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .addFee:
            try serializer.serialize_variant_index(value: 0)
        case .addDeduction:
            try serializer.serialize_variant_index(value: 1)
        case .addLoan:
            try serializer.serialize_variant_index(value: 2)
        case .pickEvidence:
            try serializer.serialize_variant_index(value: 3)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ActionId {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .addFee
        case 1:
            try deserializer.decrease_container_depth()
            return .addDeduction
        case 2:
            try deserializer.decrease_container_depth()
            return .addLoan
        case 3:
            try deserializer.decrease_container_depth()
            return .pickEvidence
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for ActionId: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ActionId {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// Settings of one app instance, given by the shell when the core starts.
public struct AppConfig: Hashable, Equatable {
    /// Base URL of the relay, e.g. `https://relay.example.org`.
    public var relayUrl: String
    /// Hex of the root public key; `None` uses the built-in one. Tests set it.
    public var rootPublicKey: String?
    /// The phone's language (BCP 47), used until the worker chooses one.
    public var systemLanguage: String
    /// First delay of the send/upload retry backoff, in milliseconds.
    public var retryBaseMs: UInt64
    /// Longest delay of the retry backoff.
    public var retryCapMs: UInt64
    /// Mailbox polling interval when something new arrived.
    public var mailboxPollBaseMs: UInt64
    /// Longest interval between mailbox polls.
    public var mailboxPollCapMs: UInt64
    /// Timeout of each HTTP request.
    public var httpTimeoutMs: UInt64
    /// Bytes per evidence upload request.
    public var uploadChunkBytes: UInt32
    /// An OHTTP relay (`https://` URL) to try before those the signed directory lists
    /// (`PROTOCOL.md` 14.8): a deployment's own, or one the worker was given. `None`: only the
    /// listed ones.
    public var ohttpRelay: String?

    public init(relayUrl: String, rootPublicKey: String?, systemLanguage: String, retryBaseMs: UInt64, retryCapMs: UInt64, mailboxPollBaseMs: UInt64, mailboxPollCapMs: UInt64, httpTimeoutMs: UInt64, uploadChunkBytes: UInt32, ohttpRelay: String?) {
        self.relayUrl = relayUrl
        self.rootPublicKey = rootPublicKey
        self.systemLanguage = systemLanguage
        self.retryBaseMs = retryBaseMs
        self.retryCapMs = retryCapMs
        self.mailboxPollBaseMs = mailboxPollBaseMs
        self.mailboxPollCapMs = mailboxPollCapMs
        self.httpTimeoutMs = httpTimeoutMs
        self.uploadChunkBytes = uploadChunkBytes
        self.ohttpRelay = ohttpRelay
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.relayUrl)
        try serializeOption(value: self.rootPublicKey, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializer.serialize_str(value: self.systemLanguage)
        try serializer.serialize_u64(value: self.retryBaseMs)
        try serializer.serialize_u64(value: self.retryCapMs)
        try serializer.serialize_u64(value: self.mailboxPollBaseMs)
        try serializer.serialize_u64(value: self.mailboxPollCapMs)
        try serializer.serialize_u64(value: self.httpTimeoutMs)
        try serializer.serialize_u32(value: self.uploadChunkBytes)
        try serializeOption(value: self.ohttpRelay, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> AppConfig {
        try deserializer.increase_container_depth()
        let relayUrl = try deserializer.deserialize_str()
        let rootPublicKey = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        let systemLanguage = try deserializer.deserialize_str()
        let retryBaseMs = try deserializer.deserialize_u64()
        let retryCapMs = try deserializer.deserialize_u64()
        let mailboxPollBaseMs = try deserializer.deserialize_u64()
        let mailboxPollCapMs = try deserializer.deserialize_u64()
        let httpTimeoutMs = try deserializer.deserialize_u64()
        let uploadChunkBytes = try deserializer.deserialize_u32()
        let ohttpRelay = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        try deserializer.decrease_container_depth()
        return AppConfig(relayUrl: relayUrl, rootPublicKey: rootPublicKey, systemLanguage: systemLanguage, retryBaseMs: retryBaseMs, retryCapMs: retryCapMs, mailboxPollBaseMs: mailboxPollBaseMs, mailboxPollCapMs: mailboxPollCapMs, httpTimeoutMs: httpTimeoutMs, uploadChunkBytes: uploadChunkBytes, ohttpRelay: ohttpRelay)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> AppConfig {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// One choice of a picker, or one toggle.
public struct Choice: Hashable, Equatable {
    public var code: String
    public var label: String
    public var selected: Bool

    public init(code: String, label: String, selected: Bool) {
        self.code = code
        self.label = label
        self.selected = selected
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.code)
        try serializer.serialize_str(value: self.label)
        try serializer.serialize_bool(value: self.selected)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> Choice {
        try deserializer.increase_container_depth()
        let code = try deserializer.deserialize_str()
        let label = try deserializer.deserialize_str()
        let selected = try deserializer.deserialize_bool()
        try deserializer.decrease_container_depth()
        return Choice(code: code, label: label, selected: selected)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> Choice {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct ComposeView: Hashable, Equatable {
    public var step: Step
    public var help: String
    public var counter: String
    public var stepNumber: UInt32
    public var stepCount: UInt32
    public var steps: [StepChoice]
    public var fields: [Field]
    public var options: [OptionGroup]
    public var items: [ListItem]
    /// The step's problems that belong to no input shown (an added payment that is wrong):
    /// shown above the inputs.
    public var errors: [FieldMessage]
    public var actions: [Action]
    public var next: String
    public var back: String
    public var discard: String

    public init(step: Step, help: String, counter: String, stepNumber: UInt32, stepCount: UInt32, steps: [StepChoice], fields: [Field], options: [OptionGroup], items: [ListItem], errors: [FieldMessage], actions: [Action], next: String, back: String, discard: String) {
        self.step = step
        self.help = help
        self.counter = counter
        self.stepNumber = stepNumber
        self.stepCount = stepCount
        self.steps = steps
        self.fields = fields
        self.options = options
        self.items = items
        self.errors = errors
        self.actions = actions
        self.next = next
        self.back = back
        self.discard = discard
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.step.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.help)
        try serializer.serialize_str(value: self.counter)
        try serializer.serialize_u32(value: self.stepNumber)
        try serializer.serialize_u32(value: self.stepCount)
        try serializeArray(value: self.steps, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializeArray(value: self.fields, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializeArray(value: self.options, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializeArray(value: self.items, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializeArray(value: self.errors, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializeArray(value: self.actions, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializer.serialize_str(value: self.next)
        try serializer.serialize_str(value: self.back)
        try serializer.serialize_str(value: self.discard)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ComposeView {
        try deserializer.increase_container_depth()
        let step = try Step.deserialize(deserializer: deserializer)
        let help = try deserializer.deserialize_str()
        let counter = try deserializer.deserialize_str()
        let stepNumber = try deserializer.deserialize_u32()
        let stepCount = try deserializer.deserialize_u32()
        let steps = try deserializeArray(deserializer: deserializer) { deserializer in
            try StepChoice.deserialize(deserializer: deserializer)
        }
        let fields = try deserializeArray(deserializer: deserializer) { deserializer in
            try Field.deserialize(deserializer: deserializer)
        }
        let options = try deserializeArray(deserializer: deserializer) { deserializer in
            try OptionGroup.deserialize(deserializer: deserializer)
        }
        let items = try deserializeArray(deserializer: deserializer) { deserializer in
            try ListItem.deserialize(deserializer: deserializer)
        }
        let errors = try deserializeArray(deserializer: deserializer) { deserializer in
            try FieldMessage.deserialize(deserializer: deserializer)
        }
        let actions = try deserializeArray(deserializer: deserializer) { deserializer in
            try Action.deserialize(deserializer: deserializer)
        }
        let next = try deserializer.deserialize_str()
        let back = try deserializer.deserialize_str()
        let discard = try deserializer.deserialize_str()
        try deserializer.decrease_container_depth()
        return ComposeView(step: step, help: help, counter: counter, stepNumber: stepNumber, stepCount: stepCount, steps: steps, fields: fields, options: options, items: items, errors: errors, actions: actions, next: next, back: back, discard: discard)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ComposeView {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

indirect public enum DeliveryState: Hashable, Equatable {
    case draft
    case waiting
    case sending
    case sent
    case delivered
    case acknowledged
    case replied
    case failed

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .draft:
            try serializer.serialize_variant_index(value: 0)
        case .waiting:
            try serializer.serialize_variant_index(value: 1)
        case .sending:
            try serializer.serialize_variant_index(value: 2)
        case .sent:
            try serializer.serialize_variant_index(value: 3)
        case .delivered:
            try serializer.serialize_variant_index(value: 4)
        case .acknowledged:
            try serializer.serialize_variant_index(value: 5)
        case .replied:
            try serializer.serialize_variant_index(value: 6)
        case .failed:
            try serializer.serialize_variant_index(value: 7)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> DeliveryState {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .draft
        case 1:
            try deserializer.decrease_container_depth()
            return .waiting
        case 2:
            try deserializer.decrease_container_depth()
            return .sending
        case 3:
            try deserializer.decrease_container_depth()
            return .sent
        case 4:
            try deserializer.decrease_container_depth()
            return .delivered
        case 5:
            try deserializer.decrease_container_depth()
            return .acknowledged
        case 6:
            try deserializer.decrease_container_depth()
            return .replied
        case 7:
            try deserializer.decrease_container_depth()
            return .failed
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for DeliveryState: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> DeliveryState {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// What the worker does, as the shell reports it.
indirect public enum Event: Hashable, Equatable {
    case chooseLanguage(language: String)
    case startSetup
    case startRecovery
    case submitNewPin(pin: String, confirm: String, duressPin: String?)
    case recoveryCodeWritten
    case submitRecoveryCode(code: String)
    case unlock(pin: String)
    case lock
    /// The app left the screen (Android `onStop`, iOS `scenePhase` background): it locks at
    /// once. Not a tap: it does not count as activity.
    case background
    /// The worker is typing in a field (the shell sends it at most every few seconds while she
    /// types; the text itself goes with the step's event): the idle clock starts again.
    case typing
    case goHome
    case openOutbox
    case openSettings
    case openReport(reportId: String)
    case newReport
    case goToStep(step: Step)
    case nextStep
    case previousStep
    case addFee(amount: String, currency: String, payee: String, stage: String, category: String, paidOn: String, receipt: Bool?)
    case removeFee(index: UInt32)
    case addDeduction(amount: String, currency: String, reason: String, monthly: Bool)
    case removeDeduction(index: UInt32)
    /// A loan taken to get the job. `interest` is percent per month as typed ("3", "2.5"),
    /// empty when not known.
    case addLoan(amount: String, currency: String, lender: String, interest: String)
    case removeLoan(index: UInt32)
    /// The job, pay and employer promised before departure, and the job found (the pay found
    /// is [`Event::SetWage`], the employer found [`Event::SetEmployer`]). Empty texts clear a
    /// field.
    case setJob(promisedTitle: String, promisedWage: String, promisedCurrency: String, actualTitle: String, promisedEmployer: String)
    case setIndicator(indicator: String, present: Bool)
    case setRecruiter(name: String, licenceNumber: String, country: String)
    case setEmployer(name: String, licenceNumber: String, country: String)
    case setPlace(destinationCountry: String, originCountry: String, sector: String)
    case setWage(amount: String, currency: String, contractSubstituted: Bool?)
    case setStory(text: String, language: String)
    case addEvidence(bytes: [UInt8])
    case removeEvidence(index: UInt32)
    case setConsent(union: Bool, inspectorate: Bool, ngo: Bool, contactWanted: Bool)
    case review
    case sendReport
    case discardDraft
    case tick
    case retryReport(reportId: String)
    /// Take a report back: a report not sent yet is deleted and never sent; for one that was
    /// sent, the organisations are asked to withdraw it.
    case withdrawReport(reportId: String)
    case checkMailbox
    case setLanguage(language: String)
    /// Lock after this many seconds without a tap: one of the choices the settings show.
    case setAutoLock(seconds: UInt32)
    case askWipe
    case cancelWipe
    case confirmWipe
    case dismissNotice
    /// Add the file at `path` as evidence, read in bounded pieces by the host: the core strips
    /// it and seals it as it reads, and never holds it whole.
    case addEvidenceFile(path: String)
    /// The worker's consent setting for evidence sent and acknowledged: `true` keeps the sealed
    /// evidence on the phone until she removes the report; `false` (the default) deletes it
    /// once the relay has it all and every recipient acknowledged.
    case setKeepSentEvidence(keep: Bool)
    /// What the worker typed in a text input of the compose form (the whole text, on each
    /// change). The core keeps it and shows it back; the report takes it when she leaves the
    /// step. Counts as activity for the idle lock.
    case input(field: FieldId, value: String)
    /// A tap on a choice of the compose form: picks it, or toggles it in a `multiple` group.
    case pick(field: FieldId, code: String)
    /// A button of the compose form.
    case act(action: ActionId)
    /// Remove an added payment, deduction, loan or photo.
    case removeItem(list: ListId, index: UInt32)
    /// The channel the draft is taken through (`Report::channel`): `sms` from the SMS channel
    /// (`workvoice-sms`), sent after `NewReport`. The app never sends it (absent means the
    /// app); an unknown name clears it.
    case setChannel(channel: String)
    /// The visa she travelled or works on (`JobComparison::visa_type`), by its wire name;
    /// empty clears it.
    case setVisa(visaType: String)
    /// The worker's setting for when no OHTTP relay answers (`PROTOCOL.md` 14.8): `false`
    /// (the default) waits and tells her; `true` sends directly to the relay.
    case setSendDirectly(sendDirectly: Bool)
    /// An OHTTP relay of the worker's own (an `https://` address), tried before all others;
    /// empty forgets it. Anything else is refused with a message next to the field.
    case setOhttpRelay(url: String)
    /// The escrow invite code a union gave the worker (`PROTOCOL.md` 18.12), as she typed it;
    /// empty forgets it. A code that does not read is refused with a message next to the
    /// field, and nothing is stored.
    case setEscrowInvite(code: String)

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .chooseLanguage(let language):
            try serializer.serialize_variant_index(value: 0)
            try serializer.serialize_str(value: language)
        case .startSetup:
            try serializer.serialize_variant_index(value: 1)
        case .startRecovery:
            try serializer.serialize_variant_index(value: 2)
        case .submitNewPin(let pin, let confirm, let duressPin):
            try serializer.serialize_variant_index(value: 3)
            try serializer.serialize_str(value: pin)
            try serializer.serialize_str(value: confirm)
            try serializeOption(value: duressPin, serializer: serializer) { value, serializer in
                try serializer.serialize_str(value: value)
            }
        case .recoveryCodeWritten:
            try serializer.serialize_variant_index(value: 4)
        case .submitRecoveryCode(let code):
            try serializer.serialize_variant_index(value: 5)
            try serializer.serialize_str(value: code)
        case .unlock(let pin):
            try serializer.serialize_variant_index(value: 6)
            try serializer.serialize_str(value: pin)
        case .lock:
            try serializer.serialize_variant_index(value: 7)
        case .background:
            try serializer.serialize_variant_index(value: 8)
        case .typing:
            try serializer.serialize_variant_index(value: 9)
        case .goHome:
            try serializer.serialize_variant_index(value: 10)
        case .openOutbox:
            try serializer.serialize_variant_index(value: 11)
        case .openSettings:
            try serializer.serialize_variant_index(value: 12)
        case .openReport(let reportId):
            try serializer.serialize_variant_index(value: 13)
            try serializer.serialize_str(value: reportId)
        case .newReport:
            try serializer.serialize_variant_index(value: 14)
        case .goToStep(let step):
            try serializer.serialize_variant_index(value: 15)
            try step.serialize(serializer: serializer)
        case .nextStep:
            try serializer.serialize_variant_index(value: 16)
        case .previousStep:
            try serializer.serialize_variant_index(value: 17)
        case .addFee(let amount, let currency, let payee, let stage, let category, let paidOn, let receipt):
            try serializer.serialize_variant_index(value: 18)
            try serializer.serialize_str(value: amount)
            try serializer.serialize_str(value: currency)
            try serializer.serialize_str(value: payee)
            try serializer.serialize_str(value: stage)
            try serializer.serialize_str(value: category)
            try serializer.serialize_str(value: paidOn)
            try serializeOption(value: receipt, serializer: serializer) { value, serializer in
                try serializer.serialize_bool(value: value)
            }
        case .removeFee(let index):
            try serializer.serialize_variant_index(value: 19)
            try serializer.serialize_u32(value: index)
        case .addDeduction(let amount, let currency, let reason, let monthly):
            try serializer.serialize_variant_index(value: 20)
            try serializer.serialize_str(value: amount)
            try serializer.serialize_str(value: currency)
            try serializer.serialize_str(value: reason)
            try serializer.serialize_bool(value: monthly)
        case .removeDeduction(let index):
            try serializer.serialize_variant_index(value: 21)
            try serializer.serialize_u32(value: index)
        case .addLoan(let amount, let currency, let lender, let interest):
            try serializer.serialize_variant_index(value: 22)
            try serializer.serialize_str(value: amount)
            try serializer.serialize_str(value: currency)
            try serializer.serialize_str(value: lender)
            try serializer.serialize_str(value: interest)
        case .removeLoan(let index):
            try serializer.serialize_variant_index(value: 23)
            try serializer.serialize_u32(value: index)
        case .setJob(let promisedTitle, let promisedWage, let promisedCurrency, let actualTitle, let promisedEmployer):
            try serializer.serialize_variant_index(value: 24)
            try serializer.serialize_str(value: promisedTitle)
            try serializer.serialize_str(value: promisedWage)
            try serializer.serialize_str(value: promisedCurrency)
            try serializer.serialize_str(value: actualTitle)
            try serializer.serialize_str(value: promisedEmployer)
        case .setIndicator(let indicator, let present):
            try serializer.serialize_variant_index(value: 25)
            try serializer.serialize_str(value: indicator)
            try serializer.serialize_bool(value: present)
        case .setRecruiter(let name, let licenceNumber, let country):
            try serializer.serialize_variant_index(value: 26)
            try serializer.serialize_str(value: name)
            try serializer.serialize_str(value: licenceNumber)
            try serializer.serialize_str(value: country)
        case .setEmployer(let name, let licenceNumber, let country):
            try serializer.serialize_variant_index(value: 27)
            try serializer.serialize_str(value: name)
            try serializer.serialize_str(value: licenceNumber)
            try serializer.serialize_str(value: country)
        case .setPlace(let destinationCountry, let originCountry, let sector):
            try serializer.serialize_variant_index(value: 28)
            try serializer.serialize_str(value: destinationCountry)
            try serializer.serialize_str(value: originCountry)
            try serializer.serialize_str(value: sector)
        case .setWage(let amount, let currency, let contractSubstituted):
            try serializer.serialize_variant_index(value: 29)
            try serializer.serialize_str(value: amount)
            try serializer.serialize_str(value: currency)
            try serializeOption(value: contractSubstituted, serializer: serializer) { value, serializer in
                try serializer.serialize_bool(value: value)
            }
        case .setStory(let text, let language):
            try serializer.serialize_variant_index(value: 30)
            try serializer.serialize_str(value: text)
            try serializer.serialize_str(value: language)
        case .addEvidence(let bytes):
            try serializer.serialize_variant_index(value: 31)
            try serializeArray(value: bytes, serializer: serializer) { item, serializer in
                try serializer.serialize_u8(value: item)
            }
        case .removeEvidence(let index):
            try serializer.serialize_variant_index(value: 32)
            try serializer.serialize_u32(value: index)
        case .setConsent(let union, let inspectorate, let ngo, let contactWanted):
            try serializer.serialize_variant_index(value: 33)
            try serializer.serialize_bool(value: union)
            try serializer.serialize_bool(value: inspectorate)
            try serializer.serialize_bool(value: ngo)
            try serializer.serialize_bool(value: contactWanted)
        case .review:
            try serializer.serialize_variant_index(value: 34)
        case .sendReport:
            try serializer.serialize_variant_index(value: 35)
        case .discardDraft:
            try serializer.serialize_variant_index(value: 36)
        case .tick:
            try serializer.serialize_variant_index(value: 37)
        case .retryReport(let reportId):
            try serializer.serialize_variant_index(value: 38)
            try serializer.serialize_str(value: reportId)
        case .withdrawReport(let reportId):
            try serializer.serialize_variant_index(value: 39)
            try serializer.serialize_str(value: reportId)
        case .checkMailbox:
            try serializer.serialize_variant_index(value: 40)
        case .setLanguage(let language):
            try serializer.serialize_variant_index(value: 41)
            try serializer.serialize_str(value: language)
        case .setAutoLock(let seconds):
            try serializer.serialize_variant_index(value: 42)
            try serializer.serialize_u32(value: seconds)
        case .askWipe:
            try serializer.serialize_variant_index(value: 43)
        case .cancelWipe:
            try serializer.serialize_variant_index(value: 44)
        case .confirmWipe:
            try serializer.serialize_variant_index(value: 45)
        case .dismissNotice:
            try serializer.serialize_variant_index(value: 46)
        case .addEvidenceFile(let path):
            try serializer.serialize_variant_index(value: 47)
            try serializer.serialize_str(value: path)
        case .setKeepSentEvidence(let keep):
            try serializer.serialize_variant_index(value: 48)
            try serializer.serialize_bool(value: keep)
        case .input(let field, let value):
            try serializer.serialize_variant_index(value: 49)
            try field.serialize(serializer: serializer)
            try serializer.serialize_str(value: value)
        case .pick(let field, let code):
            try serializer.serialize_variant_index(value: 50)
            try field.serialize(serializer: serializer)
            try serializer.serialize_str(value: code)
        case .act(let action):
            try serializer.serialize_variant_index(value: 51)
            try action.serialize(serializer: serializer)
        case .removeItem(let list, let index):
            try serializer.serialize_variant_index(value: 52)
            try list.serialize(serializer: serializer)
            try serializer.serialize_u32(value: index)
        case .setChannel(let channel):
            try serializer.serialize_variant_index(value: 53)
            try serializer.serialize_str(value: channel)
        case .setVisa(let visaType):
            try serializer.serialize_variant_index(value: 54)
            try serializer.serialize_str(value: visaType)
        case .setSendDirectly(let sendDirectly):
            try serializer.serialize_variant_index(value: 55)
            try serializer.serialize_bool(value: sendDirectly)
        case .setOhttpRelay(let url):
            try serializer.serialize_variant_index(value: 56)
            try serializer.serialize_str(value: url)
        case .setEscrowInvite(let code):
            try serializer.serialize_variant_index(value: 57)
            try serializer.serialize_str(value: code)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> Event {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            let language = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .chooseLanguage(language: language)
        case 1:
            try deserializer.decrease_container_depth()
            return .startSetup
        case 2:
            try deserializer.decrease_container_depth()
            return .startRecovery
        case 3:
            let pin = try deserializer.deserialize_str()
            let confirm = try deserializer.deserialize_str()
            let duressPin = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_str()
            }
            try deserializer.decrease_container_depth()
            return .submitNewPin(pin: pin, confirm: confirm, duressPin: duressPin)
        case 4:
            try deserializer.decrease_container_depth()
            return .recoveryCodeWritten
        case 5:
            let code = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .submitRecoveryCode(code: code)
        case 6:
            let pin = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .unlock(pin: pin)
        case 7:
            try deserializer.decrease_container_depth()
            return .lock
        case 8:
            try deserializer.decrease_container_depth()
            return .background
        case 9:
            try deserializer.decrease_container_depth()
            return .typing
        case 10:
            try deserializer.decrease_container_depth()
            return .goHome
        case 11:
            try deserializer.decrease_container_depth()
            return .openOutbox
        case 12:
            try deserializer.decrease_container_depth()
            return .openSettings
        case 13:
            let reportId = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .openReport(reportId: reportId)
        case 14:
            try deserializer.decrease_container_depth()
            return .newReport
        case 15:
            let step = try Step.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .goToStep(step: step)
        case 16:
            try deserializer.decrease_container_depth()
            return .nextStep
        case 17:
            try deserializer.decrease_container_depth()
            return .previousStep
        case 18:
            let amount = try deserializer.deserialize_str()
            let currency = try deserializer.deserialize_str()
            let payee = try deserializer.deserialize_str()
            let stage = try deserializer.deserialize_str()
            let category = try deserializer.deserialize_str()
            let paidOn = try deserializer.deserialize_str()
            let receipt = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_bool()
            }
            try deserializer.decrease_container_depth()
            return .addFee(amount: amount, currency: currency, payee: payee, stage: stage, category: category, paidOn: paidOn, receipt: receipt)
        case 19:
            let index = try deserializer.deserialize_u32()
            try deserializer.decrease_container_depth()
            return .removeFee(index: index)
        case 20:
            let amount = try deserializer.deserialize_str()
            let currency = try deserializer.deserialize_str()
            let reason = try deserializer.deserialize_str()
            let monthly = try deserializer.deserialize_bool()
            try deserializer.decrease_container_depth()
            return .addDeduction(amount: amount, currency: currency, reason: reason, monthly: monthly)
        case 21:
            let index = try deserializer.deserialize_u32()
            try deserializer.decrease_container_depth()
            return .removeDeduction(index: index)
        case 22:
            let amount = try deserializer.deserialize_str()
            let currency = try deserializer.deserialize_str()
            let lender = try deserializer.deserialize_str()
            let interest = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .addLoan(amount: amount, currency: currency, lender: lender, interest: interest)
        case 23:
            let index = try deserializer.deserialize_u32()
            try deserializer.decrease_container_depth()
            return .removeLoan(index: index)
        case 24:
            let promisedTitle = try deserializer.deserialize_str()
            let promisedWage = try deserializer.deserialize_str()
            let promisedCurrency = try deserializer.deserialize_str()
            let actualTitle = try deserializer.deserialize_str()
            let promisedEmployer = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setJob(promisedTitle: promisedTitle, promisedWage: promisedWage, promisedCurrency: promisedCurrency, actualTitle: actualTitle, promisedEmployer: promisedEmployer)
        case 25:
            let indicator = try deserializer.deserialize_str()
            let present = try deserializer.deserialize_bool()
            try deserializer.decrease_container_depth()
            return .setIndicator(indicator: indicator, present: present)
        case 26:
            let name = try deserializer.deserialize_str()
            let licenceNumber = try deserializer.deserialize_str()
            let country = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setRecruiter(name: name, licenceNumber: licenceNumber, country: country)
        case 27:
            let name = try deserializer.deserialize_str()
            let licenceNumber = try deserializer.deserialize_str()
            let country = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setEmployer(name: name, licenceNumber: licenceNumber, country: country)
        case 28:
            let destinationCountry = try deserializer.deserialize_str()
            let originCountry = try deserializer.deserialize_str()
            let sector = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setPlace(destinationCountry: destinationCountry, originCountry: originCountry, sector: sector)
        case 29:
            let amount = try deserializer.deserialize_str()
            let currency = try deserializer.deserialize_str()
            let contractSubstituted = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_bool()
            }
            try deserializer.decrease_container_depth()
            return .setWage(amount: amount, currency: currency, contractSubstituted: contractSubstituted)
        case 30:
            let text = try deserializer.deserialize_str()
            let language = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setStory(text: text, language: language)
        case 31:
            let bytes = try deserializeArray(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_u8()
            }
            try deserializer.decrease_container_depth()
            return .addEvidence(bytes: bytes)
        case 32:
            let index = try deserializer.deserialize_u32()
            try deserializer.decrease_container_depth()
            return .removeEvidence(index: index)
        case 33:
            let union = try deserializer.deserialize_bool()
            let inspectorate = try deserializer.deserialize_bool()
            let ngo = try deserializer.deserialize_bool()
            let contactWanted = try deserializer.deserialize_bool()
            try deserializer.decrease_container_depth()
            return .setConsent(union: union, inspectorate: inspectorate, ngo: ngo, contactWanted: contactWanted)
        case 34:
            try deserializer.decrease_container_depth()
            return .review
        case 35:
            try deserializer.decrease_container_depth()
            return .sendReport
        case 36:
            try deserializer.decrease_container_depth()
            return .discardDraft
        case 37:
            try deserializer.decrease_container_depth()
            return .tick
        case 38:
            let reportId = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .retryReport(reportId: reportId)
        case 39:
            let reportId = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .withdrawReport(reportId: reportId)
        case 40:
            try deserializer.decrease_container_depth()
            return .checkMailbox
        case 41:
            let language = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setLanguage(language: language)
        case 42:
            let seconds = try deserializer.deserialize_u32()
            try deserializer.decrease_container_depth()
            return .setAutoLock(seconds: seconds)
        case 43:
            try deserializer.decrease_container_depth()
            return .askWipe
        case 44:
            try deserializer.decrease_container_depth()
            return .cancelWipe
        case 45:
            try deserializer.decrease_container_depth()
            return .confirmWipe
        case 46:
            try deserializer.decrease_container_depth()
            return .dismissNotice
        case 47:
            let path = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .addEvidenceFile(path: path)
        case 48:
            let keep = try deserializer.deserialize_bool()
            try deserializer.decrease_container_depth()
            return .setKeepSentEvidence(keep: keep)
        case 49:
            let field = try FieldId.deserialize(deserializer: deserializer)
            let value = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .input(field: field, value: value)
        case 50:
            let field = try FieldId.deserialize(deserializer: deserializer)
            let code = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .pick(field: field, code: code)
        case 51:
            let action = try ActionId.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .act(action: action)
        case 52:
            let list = try ListId.deserialize(deserializer: deserializer)
            let index = try deserializer.deserialize_u32()
            try deserializer.decrease_container_depth()
            return .removeItem(list: list, index: index)
        case 53:
            let channel = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setChannel(channel: channel)
        case 54:
            let visaType = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setVisa(visaType: visaType)
        case 55:
            let sendDirectly = try deserializer.deserialize_bool()
            try deserializer.decrease_container_depth()
            return .setSendDirectly(sendDirectly: sendDirectly)
        case 56:
            let url = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setOhttpRelay(url: url)
        case 57:
            let code = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .setEscrowInvite(code: code)
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for Event: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> Event {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// A text input. The shell sends what is typed as [`super::Event::Input`] with its `id`, and
/// shows `value`, which the core keeps.
public struct Field: Hashable, Equatable {
    public var id: FieldId
    public var label: String
    public var value: String
    public var kind: InputKind
    /// What is wrong with it, shown next to it.
    public var errors: [FieldMessage]

    public init(id: FieldId, label: String, value: String, kind: InputKind, errors: [FieldMessage]) {
        self.id = id
        self.label = label
        self.value = value
        self.kind = kind
        self.errors = errors
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.id.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.label)
        try serializer.serialize_str(value: self.value)
        try self.kind.serialize(serializer: serializer)
        try serializeArray(value: self.errors, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> Field {
        try deserializer.increase_container_depth()
        let id = try FieldId.deserialize(deserializer: deserializer)
        let label = try deserializer.deserialize_str()
        let value = try deserializer.deserialize_str()
        let kind = try InputKind.deserialize(deserializer: deserializer)
        let errors = try deserializeArray(deserializer: deserializer) { deserializer in
            try FieldMessage.deserialize(deserializer: deserializer)
        }
        try deserializer.decrease_container_depth()
        return Field(id: id, label: label, value: value, kind: kind, errors: errors)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> Field {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// Every input of the compose form: a text input or a group of choices.
indirect public enum FieldId: Hashable, Equatable {
    case feeAmount
    case feeCurrency
    case feePaidOn
    case feePayee
    case feeStage
    case feeCategory
    case feeReceipt
    case deductionReason
    case loanAmount
    case loanCurrency
    case loanInterest
    case loanLender
    case indicators
    case recruiterName
    case recruiterLicenceNumber
    case recruiterCountry
    case employerName
    case employerLicenceNumber
    case employerCountry
    case destinationCountry
    case originCountry
    case sector
    case promisedTitle
    case promisedWage
    case promisedCurrency
    case promisedEmployer
    case actualTitle
    case wageAmount
    case wageCurrency
    case contractSubstituted
    case visaType
    case storyText
    case storyLanguage
    case consent
    /// Send now, or wait until others report this recruiter (`PROTOCOL.md` 18.10): offered on
    /// the consent step when the report can be escrowed (`escrow::offered`).
    case escrow

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .feeAmount:
            try serializer.serialize_variant_index(value: 0)
        case .feeCurrency:
            try serializer.serialize_variant_index(value: 1)
        case .feePaidOn:
            try serializer.serialize_variant_index(value: 2)
        case .feePayee:
            try serializer.serialize_variant_index(value: 3)
        case .feeStage:
            try serializer.serialize_variant_index(value: 4)
        case .feeCategory:
            try serializer.serialize_variant_index(value: 5)
        case .feeReceipt:
            try serializer.serialize_variant_index(value: 6)
        case .deductionReason:
            try serializer.serialize_variant_index(value: 7)
        case .loanAmount:
            try serializer.serialize_variant_index(value: 8)
        case .loanCurrency:
            try serializer.serialize_variant_index(value: 9)
        case .loanInterest:
            try serializer.serialize_variant_index(value: 10)
        case .loanLender:
            try serializer.serialize_variant_index(value: 11)
        case .indicators:
            try serializer.serialize_variant_index(value: 12)
        case .recruiterName:
            try serializer.serialize_variant_index(value: 13)
        case .recruiterLicenceNumber:
            try serializer.serialize_variant_index(value: 14)
        case .recruiterCountry:
            try serializer.serialize_variant_index(value: 15)
        case .employerName:
            try serializer.serialize_variant_index(value: 16)
        case .employerLicenceNumber:
            try serializer.serialize_variant_index(value: 17)
        case .employerCountry:
            try serializer.serialize_variant_index(value: 18)
        case .destinationCountry:
            try serializer.serialize_variant_index(value: 19)
        case .originCountry:
            try serializer.serialize_variant_index(value: 20)
        case .sector:
            try serializer.serialize_variant_index(value: 21)
        case .promisedTitle:
            try serializer.serialize_variant_index(value: 22)
        case .promisedWage:
            try serializer.serialize_variant_index(value: 23)
        case .promisedCurrency:
            try serializer.serialize_variant_index(value: 24)
        case .promisedEmployer:
            try serializer.serialize_variant_index(value: 25)
        case .actualTitle:
            try serializer.serialize_variant_index(value: 26)
        case .wageAmount:
            try serializer.serialize_variant_index(value: 27)
        case .wageCurrency:
            try serializer.serialize_variant_index(value: 28)
        case .contractSubstituted:
            try serializer.serialize_variant_index(value: 29)
        case .visaType:
            try serializer.serialize_variant_index(value: 30)
        case .storyText:
            try serializer.serialize_variant_index(value: 31)
        case .storyLanguage:
            try serializer.serialize_variant_index(value: 32)
        case .consent:
            try serializer.serialize_variant_index(value: 33)
        case .escrow:
            try serializer.serialize_variant_index(value: 34)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> FieldId {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .feeAmount
        case 1:
            try deserializer.decrease_container_depth()
            return .feeCurrency
        case 2:
            try deserializer.decrease_container_depth()
            return .feePaidOn
        case 3:
            try deserializer.decrease_container_depth()
            return .feePayee
        case 4:
            try deserializer.decrease_container_depth()
            return .feeStage
        case 5:
            try deserializer.decrease_container_depth()
            return .feeCategory
        case 6:
            try deserializer.decrease_container_depth()
            return .feeReceipt
        case 7:
            try deserializer.decrease_container_depth()
            return .deductionReason
        case 8:
            try deserializer.decrease_container_depth()
            return .loanAmount
        case 9:
            try deserializer.decrease_container_depth()
            return .loanCurrency
        case 10:
            try deserializer.decrease_container_depth()
            return .loanInterest
        case 11:
            try deserializer.decrease_container_depth()
            return .loanLender
        case 12:
            try deserializer.decrease_container_depth()
            return .indicators
        case 13:
            try deserializer.decrease_container_depth()
            return .recruiterName
        case 14:
            try deserializer.decrease_container_depth()
            return .recruiterLicenceNumber
        case 15:
            try deserializer.decrease_container_depth()
            return .recruiterCountry
        case 16:
            try deserializer.decrease_container_depth()
            return .employerName
        case 17:
            try deserializer.decrease_container_depth()
            return .employerLicenceNumber
        case 18:
            try deserializer.decrease_container_depth()
            return .employerCountry
        case 19:
            try deserializer.decrease_container_depth()
            return .destinationCountry
        case 20:
            try deserializer.decrease_container_depth()
            return .originCountry
        case 21:
            try deserializer.decrease_container_depth()
            return .sector
        case 22:
            try deserializer.decrease_container_depth()
            return .promisedTitle
        case 23:
            try deserializer.decrease_container_depth()
            return .promisedWage
        case 24:
            try deserializer.decrease_container_depth()
            return .promisedCurrency
        case 25:
            try deserializer.decrease_container_depth()
            return .promisedEmployer
        case 26:
            try deserializer.decrease_container_depth()
            return .actualTitle
        case 27:
            try deserializer.decrease_container_depth()
            return .wageAmount
        case 28:
            try deserializer.decrease_container_depth()
            return .wageCurrency
        case 29:
            try deserializer.decrease_container_depth()
            return .contractSubstituted
        case 30:
            try deserializer.decrease_container_depth()
            return .visaType
        case 31:
            try deserializer.decrease_container_depth()
            return .storyText
        case 32:
            try deserializer.decrease_container_depth()
            return .storyLanguage
        case 33:
            try deserializer.decrease_container_depth()
            return .consent
        case 34:
            try deserializer.decrease_container_depth()
            return .escrow
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for FieldId: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> FieldId {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// What is wrong with one field, in words.
public struct FieldMessage: Hashable, Equatable {
    /// Path of the field, e.g. `fees[0].amount.currency`, or a form input such as `fee.amount`.
    public var field: String
    /// Stable code, e.g. `invalid_currency`.
    public var code: String
    public var message: String

    public init(field: String, code: String, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.field)
        try serializer.serialize_str(value: self.code)
        try serializer.serialize_str(value: self.message)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> FieldMessage {
        try deserializer.increase_container_depth()
        let field = try deserializer.deserialize_str()
        let code = try deserializer.deserialize_str()
        let message = try deserializer.deserialize_str()
        try deserializer.decrease_container_depth()
        return FieldMessage(field: field, code: code, message: message)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> FieldMessage {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// How the host is set up by the shell. Its `Debug` leaves out the platform secret.
public struct HostConfig: Hashable, Equatable {
    /// A directory private to the app, where the vault lives.
    public var dataDir: String
    public var app: AppConfig
    /// Cheap PIN hashing, for tests only: offers no protection.
    public var insecureFastKdf: Bool
    /// Wrong PINs before the vault wipes itself (`0`: the default, 10).
    public var maxPinAttempts: UInt32
    /// The 32-byte secret the platform keeps in its hardware-backed store (Android Keystore,
    /// iOS Keychain), mixed into the PIN's key-encryption key so that vault files copied off
    /// the phone cannot be brute-forced away from the attempt limit. Empty: none (tests and
    /// the command-line shell). Any other length is refused by [`Host::start`].
    public var platformSecret: [UInt8]

    public init(dataDir: String, app: AppConfig, insecureFastKdf: Bool, maxPinAttempts: UInt32, platformSecret: [UInt8]) {
        self.dataDir = dataDir
        self.app = app
        self.insecureFastKdf = insecureFastKdf
        self.maxPinAttempts = maxPinAttempts
        self.platformSecret = platformSecret
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.dataDir)
        try self.app.serialize(serializer: serializer)
        try serializer.serialize_bool(value: self.insecureFastKdf)
        try serializer.serialize_u32(value: self.maxPinAttempts)
        try serializeArray(value: self.platformSecret, serializer: serializer) { item, serializer in
            try serializer.serialize_u8(value: item)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> HostConfig {
        try deserializer.increase_container_depth()
        let dataDir = try deserializer.deserialize_str()
        let app = try AppConfig.deserialize(deserializer: deserializer)
        let insecureFastKdf = try deserializer.deserialize_bool()
        let maxPinAttempts = try deserializer.deserialize_u32()
        let platformSecret = try deserializeArray(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_u8()
        }
        try deserializer.decrease_container_depth()
        return HostConfig(dataDir: dataDir, app: app, insecureFastKdf: insecureFastKdf, maxPinAttempts: maxPinAttempts, platformSecret: platformSecret)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> HostConfig {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct HttpFailure: Hashable, Equatable {
    public var kind: HttpFailureKind
    /// For logs only; never shown as is.
    public var message: String

    public init(kind: HttpFailureKind, message: String) {
        self.kind = kind
        self.message = message
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.kind.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.message)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> HttpFailure {
        try deserializer.increase_container_depth()
        let kind = try HttpFailureKind.deserialize(deserializer: deserializer)
        let message = try deserializer.deserialize_str()
        try deserializer.decrease_container_depth()
        return HttpFailure(kind: kind, message: message)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> HttpFailure {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

indirect public enum HttpFailureKind: Hashable, Equatable {
    case timeout
    case connection
    case other

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .timeout:
            try serializer.serialize_variant_index(value: 0)
        case .connection:
            try serializer.serialize_variant_index(value: 1)
        case .other:
            try serializer.serialize_variant_index(value: 2)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> HttpFailureKind {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .timeout
        case 1:
            try deserializer.decrease_container_depth()
            return .connection
        case 2:
            try deserializer.decrease_container_depth()
            return .other
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for HttpFailureKind: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> HttpFailureKind {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct HttpHeader: Hashable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.name)
        try serializer.serialize_str(value: self.value)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> HttpHeader {
        try deserializer.increase_container_depth()
        let name = try deserializer.deserialize_str()
        let value = try deserializer.deserialize_str()
        try deserializer.decrease_container_depth()
        return HttpHeader(name: name, value: value)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> HttpHeader {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

indirect public enum HttpMethod: Hashable, Equatable {
    case get
    case post
    case put

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .get:
            try serializer.serialize_variant_index(value: 0)
        case .post:
            try serializer.serialize_variant_index(value: 1)
        case .put:
            try serializer.serialize_variant_index(value: 2)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> HttpMethod {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .get
        case 1:
            try deserializer.decrease_container_depth()
            return .post
        case 2:
            try deserializer.decrease_container_depth()
            return .put
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for HttpMethod: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> HttpMethod {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// An HTTP request for the shell to perform.
public struct HttpRequest: Hashable, Equatable {
    public var method: HttpMethod
    public var url: String
    public var headers: [HttpHeader]
    public var body: [UInt8]
    /// Give up after this long and resolve with [`HttpFailureKind::Timeout`].
    public var timeoutMs: UInt64

    public init(method: HttpMethod, url: String, headers: [HttpHeader], body: [UInt8], timeoutMs: UInt64) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMs = timeoutMs
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.method.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.url)
        try serializeArray(value: self.headers, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializeArray(value: self.body, serializer: serializer) { item, serializer in
            try serializer.serialize_u8(value: item)
        }
        try serializer.serialize_u64(value: self.timeoutMs)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> HttpRequest {
        try deserializer.increase_container_depth()
        let method = try HttpMethod.deserialize(deserializer: deserializer)
        let url = try deserializer.deserialize_str()
        let headers = try deserializeArray(deserializer: deserializer) { deserializer in
            try HttpHeader.deserialize(deserializer: deserializer)
        }
        let body = try deserializeArray(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_u8()
        }
        let timeoutMs = try deserializer.deserialize_u64()
        try deserializer.decrease_container_depth()
        return HttpRequest(method: method, url: url, headers: headers, body: body, timeoutMs: timeoutMs)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> HttpRequest {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct HttpResponse: Hashable, Equatable {
    public var status: UInt16
    public var body: [UInt8]

    public init(status: UInt16, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_u16(value: self.status)
        try serializeArray(value: self.body, serializer: serializer) { item, serializer in
            try serializer.serialize_u8(value: item)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> HttpResponse {
        try deserializer.increase_container_depth()
        let status = try deserializer.deserialize_u16()
        let body = try deserializeArray(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_u8()
        }
        try deserializer.decrease_container_depth()
        return HttpResponse(status: status, body: body)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> HttpResponse {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// What the shell answers to an [`HttpRequest`].
indirect public enum HttpResult: Hashable, Equatable {
    /// Any HTTP status, including 4xx and 5xx.
    case response(HttpResponse)
    /// No HTTP response: no signal, connection dropped, timed out.
    case failed(HttpFailure)

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .response(let x):
            try serializer.serialize_variant_index(value: 0)
            try x.serialize(serializer: serializer)
        case .failed(let x):
            try serializer.serialize_variant_index(value: 1)
            try x.serialize(serializer: serializer)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> HttpResult {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            let x = try HttpResponse.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .response(x)
        case 1:
            let x = try HttpFailure.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .failed(x)
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for HttpResult: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> HttpResult {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// How a text input is typed: which keyboard, one line or several, corrections or not.
indirect public enum InputKind: Hashable, Equatable {
    /// Words: a name, a job title. One line, corrections on.
    case text
    /// A decimal number: an amount, a rate.
    case number
    /// A code typed as letters: a currency, a country, a language. No corrections.
    case code
    /// A date, `YYYY-MM-DD` or `YYYY-MM`.
    case date
    /// The worker's own words: several lines.
    case longText

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .text:
            try serializer.serialize_variant_index(value: 0)
        case .number:
            try serializer.serialize_variant_index(value: 1)
        case .code:
            try serializer.serialize_variant_index(value: 2)
        case .date:
            try serializer.serialize_variant_index(value: 3)
        case .longText:
            try serializer.serialize_variant_index(value: 4)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> InputKind {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .text
        case 1:
            try deserializer.decrease_container_depth()
            return .number
        case 2:
            try deserializer.decrease_container_depth()
            return .code
        case 3:
            try deserializer.decrease_container_depth()
            return .date
        case 4:
            try deserializer.decrease_container_depth()
            return .longText
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for InputKind: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> InputKind {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// A labelled piece of information.
public struct Line: Hashable, Equatable {
    public var label: String
    public var value: String

    public init(label: String, value: String) {
        self.label = label
        self.value = value
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.label)
        try serializer.serialize_str(value: self.value)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> Line {
        try deserializer.increase_container_depth()
        let label = try deserializer.deserialize_str()
        let value = try deserializer.deserialize_str()
        try deserializer.decrease_container_depth()
        return Line(label: label, value: value)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> Line {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// The lists of things already added, whose items can be removed by index.
indirect public enum ListId: Hashable, Equatable {
    case fees
    case deductions
    case loans
    case evidence

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .fees:
            try serializer.serialize_variant_index(value: 0)
        case .deductions:
            try serializer.serialize_variant_index(value: 1)
        case .loans:
            try serializer.serialize_variant_index(value: 2)
        case .evidence:
            try serializer.serialize_variant_index(value: 3)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ListId {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .fees
        case 1:
            try deserializer.decrease_container_depth()
            return .deductions
        case 2:
            try deserializer.decrease_container_depth()
            return .loans
        case 3:
            try deserializer.decrease_container_depth()
            return .evidence
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for ListId: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ListId {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// Something already added (a payment, a photo) that [`super::Event::RemoveItem`] removes.
public struct ListItem: Hashable, Equatable {
    public var list: ListId
    public var index: UInt32
    public var text: String

    public init(list: ListId, index: UInt32, text: String) {
        self.list = list
        self.index = index
        self.text = text
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.list.serialize(serializer: serializer)
        try serializer.serialize_u32(value: self.index)
        try serializer.serialize_str(value: self.text)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ListItem {
        try deserializer.increase_container_depth()
        let list = try ListId.deserialize(deserializer: deserializer)
        let index = try deserializer.deserialize_u32()
        let text = try deserializer.deserialize_str()
        try deserializer.decrease_container_depth()
        return ListItem(list: list, index: index, text: text)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ListItem {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct MessageView: Hashable, Equatable {
    public var from: String
    public var text: String
    public var language: String
    /// Unix seconds, rounded to the hour.
    public var atHour: UInt64

    public init(from: String, text: String, language: String, atHour: UInt64) {
        self.from = from
        self.text = text
        self.language = language
        self.atHour = atHour
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.from)
        try serializer.serialize_str(value: self.text)
        try serializer.serialize_str(value: self.language)
        try serializer.serialize_u64(value: self.atHour)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> MessageView {
        try deserializer.increase_container_depth()
        let from = try deserializer.deserialize_str()
        let text = try deserializer.deserialize_str()
        let language = try deserializer.deserialize_str()
        let atHour = try deserializer.deserialize_u64()
        try deserializer.decrease_container_depth()
        return MessageView(from: from, text: text, language: language, atHour: atHour)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> MessageView {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct Notice: Hashable, Equatable {
    public var text: String
    public var error: Bool

    public init(text: String, error: Bool) {
        self.text = text
        self.error = error
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.text)
        try serializer.serialize_bool(value: self.error)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> Notice {
        try deserializer.increase_container_depth()
        let text = try deserializer.deserialize_str()
        let error = try deserializer.deserialize_bool()
        try deserializer.decrease_container_depth()
        return Notice(text: text, error: error)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> Notice {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// Choices: a picker (one at a time), or toggles when `multiple`. A tap sends
/// [`super::Event::Pick`] with the group's `id` and the choice's `code`.
public struct OptionGroup: Hashable, Equatable {
    public var id: FieldId
    public var label: String
    public var choices: [Choice]
    public var multiple: Bool
    public var errors: [FieldMessage]

    public init(id: FieldId, label: String, choices: [Choice], multiple: Bool, errors: [FieldMessage]) {
        self.id = id
        self.label = label
        self.choices = choices
        self.multiple = multiple
        self.errors = errors
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.id.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.label)
        try serializeArray(value: self.choices, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializer.serialize_bool(value: self.multiple)
        try serializeArray(value: self.errors, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> OptionGroup {
        try deserializer.increase_container_depth()
        let id = try FieldId.deserialize(deserializer: deserializer)
        let label = try deserializer.deserialize_str()
        let choices = try deserializeArray(deserializer: deserializer) { deserializer in
            try Choice.deserialize(deserializer: deserializer)
        }
        let multiple = try deserializer.deserialize_bool()
        let errors = try deserializeArray(deserializer: deserializer) { deserializer in
            try FieldMessage.deserialize(deserializer: deserializer)
        }
        try deserializer.decrease_container_depth()
        return OptionGroup(id: id, label: label, choices: choices, multiple: multiple, errors: errors)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> OptionGroup {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct OutboxItem: Hashable, Equatable {
    /// Hex report id; empty for the unfinished draft.
    public var reportId: String
    public var title: String
    public var state: DeliveryState
    public var stateText: String
    public var detail: String?
    public var replies: UInt32
    /// Evidence files still to upload.
    public var uploadsPending: UInt32
    public var retry: String?

    public init(reportId: String, title: String, state: DeliveryState, stateText: String, detail: String?, replies: UInt32, uploadsPending: UInt32, retry: String?) {
        self.reportId = reportId
        self.title = title
        self.state = state
        self.stateText = stateText
        self.detail = detail
        self.replies = replies
        self.uploadsPending = uploadsPending
        self.retry = retry
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.reportId)
        try serializer.serialize_str(value: self.title)
        try self.state.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.stateText)
        try serializeOption(value: self.detail, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializer.serialize_u32(value: self.replies)
        try serializer.serialize_u32(value: self.uploadsPending)
        try serializeOption(value: self.retry, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> OutboxItem {
        try deserializer.increase_container_depth()
        let reportId = try deserializer.deserialize_str()
        let title = try deserializer.deserialize_str()
        let state = try DeliveryState.deserialize(deserializer: deserializer)
        let stateText = try deserializer.deserialize_str()
        let detail = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        let replies = try deserializer.deserialize_u32()
        let uploadsPending = try deserializer.deserialize_u32()
        let retry = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        try deserializer.decrease_container_depth()
        return OutboxItem(reportId: reportId, title: title, state: state, stateText: stateText, detail: detail, replies: replies, uploadsPending: uploadsPending, retry: retry)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> OutboxItem {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// Something only the platform can do, told to the shell. It needs no answer.
indirect public enum PlatformOperation: Hashable, Equatable {
    /// The vault was wiped: delete the platform secret (Android Keystore, iOS Keychain) that
    /// was mixed into its key, so that nothing left of the old vault can ever be opened.
    case forgetPlatformSecret

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .forgetPlatformSecret:
            try serializer.serialize_variant_index(value: 0)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> PlatformOperation {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .forgetPlatformSecret
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for PlatformOperation: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> PlatformOperation {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct RecipientView: Hashable, Equatable {
    public var orgId: String
    public var name: String
    public var kind: String
    public var reason: String
    /// Why the phone will refuse to seal to it, if its key is not trusted.
    public var problem: String?

    public init(orgId: String, name: String, kind: String, reason: String, problem: String?) {
        self.orgId = orgId
        self.name = name
        self.kind = kind
        self.reason = reason
        self.problem = problem
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.orgId)
        try serializer.serialize_str(value: self.name)
        try serializer.serialize_str(value: self.kind)
        try serializer.serialize_str(value: self.reason)
        try serializeOption(value: self.problem, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> RecipientView {
        try deserializer.increase_container_depth()
        let orgId = try deserializer.deserialize_str()
        let name = try deserializer.deserialize_str()
        let kind = try deserializer.deserialize_str()
        let reason = try deserializer.deserialize_str()
        let problem = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        try deserializer.decrease_container_depth()
        return RecipientView(orgId: orgId, name: name, kind: kind, reason: reason, problem: problem)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> RecipientView {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// The single operation `Render` implements.
public struct RenderOperation: Hashable, Equatable {
    public init() {
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> RenderOperation {
        try deserializer.increase_container_depth()
        try deserializer.decrease_container_depth()
        return RenderOperation()
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> RenderOperation {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct ReportView: Hashable, Equatable {
    public var item: OutboxItem
    public var statusesTitle: String
    public var statuses: [String]
    public var messagesTitle: String
    public var messages: [MessageView]
    public var empty: String
    public var rejected: String?
    /// The label of the withdraw button (`Event::WithdrawReport`), when the report can still
    /// be withdrawn: deleted if it was never sent, otherwise asked back from the organisations.
    public var withdraw: String?
    /// Where a withdrawal the worker asked for stands.
    public var withdrawal: String?

    public init(item: OutboxItem, statusesTitle: String, statuses: [String], messagesTitle: String, messages: [MessageView], empty: String, rejected: String?, withdraw: String?, withdrawal: String?) {
        self.item = item
        self.statusesTitle = statusesTitle
        self.statuses = statuses
        self.messagesTitle = messagesTitle
        self.messages = messages
        self.empty = empty
        self.rejected = rejected
        self.withdraw = withdraw
        self.withdrawal = withdrawal
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.item.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.statusesTitle)
        try serializeArray(value: self.statuses, serializer: serializer) { item, serializer in
            try serializer.serialize_str(value: item)
        }
        try serializer.serialize_str(value: self.messagesTitle)
        try serializeArray(value: self.messages, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializer.serialize_str(value: self.empty)
        try serializeOption(value: self.rejected, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializeOption(value: self.withdraw, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializeOption(value: self.withdrawal, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ReportView {
        try deserializer.increase_container_depth()
        let item = try OutboxItem.deserialize(deserializer: deserializer)
        let statusesTitle = try deserializer.deserialize_str()
        let statuses = try deserializeArray(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        let messagesTitle = try deserializer.deserialize_str()
        let messages = try deserializeArray(deserializer: deserializer) { deserializer in
            try MessageView.deserialize(deserializer: deserializer)
        }
        let empty = try deserializer.deserialize_str()
        let rejected = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        let withdraw = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        let withdrawal = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        try deserializer.decrease_container_depth()
        return ReportView(item: item, statusesTitle: statusesTitle, statuses: statuses, messagesTitle: messagesTitle, messages: messages, empty: empty, rejected: rejected, withdraw: withdraw, withdrawal: withdrawal)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ReportView {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct ReviewView: Hashable, Equatable {
    public var intro: String
    /// Exactly what the relay will see (the routing tags and the consent).
    public var disclosed: [Line]
    public var recipientsTitle: String
    public var recipients: [RecipientView]
    public var withheldTitle: String
    public var withheld: [RecipientView]
    public var note: String?
    public var summary: [String]
    public var send: String
    public var edit: String
    public var canSend: Bool

    public init(intro: String, disclosed: [Line], recipientsTitle: String, recipients: [RecipientView], withheldTitle: String, withheld: [RecipientView], note: String?, summary: [String], send: String, edit: String, canSend: Bool) {
        self.intro = intro
        self.disclosed = disclosed
        self.recipientsTitle = recipientsTitle
        self.recipients = recipients
        self.withheldTitle = withheldTitle
        self.withheld = withheld
        self.note = note
        self.summary = summary
        self.send = send
        self.edit = edit
        self.canSend = canSend
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.intro)
        try serializeArray(value: self.disclosed, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializer.serialize_str(value: self.recipientsTitle)
        try serializeArray(value: self.recipients, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializer.serialize_str(value: self.withheldTitle)
        try serializeArray(value: self.withheld, serializer: serializer) { item, serializer in
            try item.serialize(serializer: serializer)
        }
        try serializeOption(value: self.note, serializer: serializer) { value, serializer in
            try serializer.serialize_str(value: value)
        }
        try serializeArray(value: self.summary, serializer: serializer) { item, serializer in
            try serializer.serialize_str(value: item)
        }
        try serializer.serialize_str(value: self.send)
        try serializer.serialize_str(value: self.edit)
        try serializer.serialize_bool(value: self.canSend)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ReviewView {
        try deserializer.increase_container_depth()
        let intro = try deserializer.deserialize_str()
        let disclosed = try deserializeArray(deserializer: deserializer) { deserializer in
            try Line.deserialize(deserializer: deserializer)
        }
        let recipientsTitle = try deserializer.deserialize_str()
        let recipients = try deserializeArray(deserializer: deserializer) { deserializer in
            try RecipientView.deserialize(deserializer: deserializer)
        }
        let withheldTitle = try deserializer.deserialize_str()
        let withheld = try deserializeArray(deserializer: deserializer) { deserializer in
            try RecipientView.deserialize(deserializer: deserializer)
        }
        let note = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        let summary = try deserializeArray(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_str()
        }
        let send = try deserializer.deserialize_str()
        let edit = try deserializer.deserialize_str()
        let canSend = try deserializer.deserialize_bool()
        try deserializer.decrease_container_depth()
        return ReviewView(intro: intro, disclosed: disclosed, recipientsTitle: recipientsTitle, recipients: recipients, withheldTitle: withheldTitle, withheld: withheld, note: note, summary: summary, send: send, edit: edit, canSend: canSend)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ReviewView {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

indirect public enum Screen: Hashable, Equatable {
    case loading(text: String)
    case welcome(intro: String, chooseLanguage: String, languages: [Choice], start: String, recover: String)
    case setPin(intro: String, pinLabel: String, confirmLabel: String, duressLabel: String, duressHelp: String, submit: String, error: String?, recovering: Bool)
    case showRecoveryCode(intro: String, code: String, done: String)
    case enterRecoveryCode(intro: String, codeLabel: String, submit: String, error: String?)
    case recovering(text: String, checked: UInt32, found: UInt32, retry: String)
    case unlock(pinLabel: String, submit: String, attemptsLeft: UInt32, attemptsText: String, error: String?)
    case home(newReport: String, outbox: String, outboxSummary: String, settings: String, lock: String, hasDraft: Bool)
    case compose(ComposeView)
    case review(ReviewView)
    case outbox(items: [OutboxItem], empty: String, checkMailbox: String)
    case report(ReportView)
    case settings(languageLabel: String, languages: [Choice], autoLockLabel: String, autoLock: [Choice], evidenceLabel: String, evidenceHelp: String, evidenceChoices: [Choice], routeLabel: String, routeHelp: String, routeChoices: [Choice], ohttpRelayLabel: String, ohttpRelayHelp: String, ohttpRelay: String, ohttpRelayError: String?, ohttpRelaySave: String, escrowInviteLabel: String, escrowInviteHelp: String, escrowInviteKept: String?, escrowInviteError: String?, escrowInviteSave: String, wipe: String, wipeWarning: String, confirmWipe: Bool, confirm: String, cancel: String)
    case broken(text: String)

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .loading(let text):
            try serializer.serialize_variant_index(value: 0)
            try serializer.serialize_str(value: text)
        case .welcome(let intro, let chooseLanguage, let languages, let start, let recover):
            try serializer.serialize_variant_index(value: 1)
            try serializer.serialize_str(value: intro)
            try serializer.serialize_str(value: chooseLanguage)
            try serializeArray(value: languages, serializer: serializer) { item, serializer in
                try item.serialize(serializer: serializer)
            }
            try serializer.serialize_str(value: start)
            try serializer.serialize_str(value: recover)
        case .setPin(let intro, let pinLabel, let confirmLabel, let duressLabel, let duressHelp, let submit, let error, let recovering):
            try serializer.serialize_variant_index(value: 2)
            try serializer.serialize_str(value: intro)
            try serializer.serialize_str(value: pinLabel)
            try serializer.serialize_str(value: confirmLabel)
            try serializer.serialize_str(value: duressLabel)
            try serializer.serialize_str(value: duressHelp)
            try serializer.serialize_str(value: submit)
            try serializeOption(value: error, serializer: serializer) { value, serializer in
                try serializer.serialize_str(value: value)
            }
            try serializer.serialize_bool(value: recovering)
        case .showRecoveryCode(let intro, let code, let done):
            try serializer.serialize_variant_index(value: 3)
            try serializer.serialize_str(value: intro)
            try serializer.serialize_str(value: code)
            try serializer.serialize_str(value: done)
        case .enterRecoveryCode(let intro, let codeLabel, let submit, let error):
            try serializer.serialize_variant_index(value: 4)
            try serializer.serialize_str(value: intro)
            try serializer.serialize_str(value: codeLabel)
            try serializer.serialize_str(value: submit)
            try serializeOption(value: error, serializer: serializer) { value, serializer in
                try serializer.serialize_str(value: value)
            }
        case .recovering(let text, let checked, let found, let retry):
            try serializer.serialize_variant_index(value: 5)
            try serializer.serialize_str(value: text)
            try serializer.serialize_u32(value: checked)
            try serializer.serialize_u32(value: found)
            try serializer.serialize_str(value: retry)
        case .unlock(let pinLabel, let submit, let attemptsLeft, let attemptsText, let error):
            try serializer.serialize_variant_index(value: 6)
            try serializer.serialize_str(value: pinLabel)
            try serializer.serialize_str(value: submit)
            try serializer.serialize_u32(value: attemptsLeft)
            try serializer.serialize_str(value: attemptsText)
            try serializeOption(value: error, serializer: serializer) { value, serializer in
                try serializer.serialize_str(value: value)
            }
        case .home(let newReport, let outbox, let outboxSummary, let settings, let lock, let hasDraft):
            try serializer.serialize_variant_index(value: 7)
            try serializer.serialize_str(value: newReport)
            try serializer.serialize_str(value: outbox)
            try serializer.serialize_str(value: outboxSummary)
            try serializer.serialize_str(value: settings)
            try serializer.serialize_str(value: lock)
            try serializer.serialize_bool(value: hasDraft)
        case .compose(let x):
            try serializer.serialize_variant_index(value: 8)
            try x.serialize(serializer: serializer)
        case .review(let x):
            try serializer.serialize_variant_index(value: 9)
            try x.serialize(serializer: serializer)
        case .outbox(let items, let empty, let checkMailbox):
            try serializer.serialize_variant_index(value: 10)
            try serializeArray(value: items, serializer: serializer) { item, serializer in
                try item.serialize(serializer: serializer)
            }
            try serializer.serialize_str(value: empty)
            try serializer.serialize_str(value: checkMailbox)
        case .report(let x):
            try serializer.serialize_variant_index(value: 11)
            try x.serialize(serializer: serializer)
        case .settings(let languageLabel, let languages, let autoLockLabel, let autoLock, let evidenceLabel, let evidenceHelp, let evidenceChoices, let routeLabel, let routeHelp, let routeChoices, let ohttpRelayLabel, let ohttpRelayHelp, let ohttpRelay, let ohttpRelayError, let ohttpRelaySave, let escrowInviteLabel, let escrowInviteHelp, let escrowInviteKept, let escrowInviteError, let escrowInviteSave, let wipe, let wipeWarning, let confirmWipe, let confirm, let cancel):
            try serializer.serialize_variant_index(value: 12)
            try serializer.serialize_str(value: languageLabel)
            try serializeArray(value: languages, serializer: serializer) { item, serializer in
                try item.serialize(serializer: serializer)
            }
            try serializer.serialize_str(value: autoLockLabel)
            try serializeArray(value: autoLock, serializer: serializer) { item, serializer in
                try item.serialize(serializer: serializer)
            }
            try serializer.serialize_str(value: evidenceLabel)
            try serializer.serialize_str(value: evidenceHelp)
            try serializeArray(value: evidenceChoices, serializer: serializer) { item, serializer in
                try item.serialize(serializer: serializer)
            }
            try serializer.serialize_str(value: routeLabel)
            try serializer.serialize_str(value: routeHelp)
            try serializeArray(value: routeChoices, serializer: serializer) { item, serializer in
                try item.serialize(serializer: serializer)
            }
            try serializer.serialize_str(value: ohttpRelayLabel)
            try serializer.serialize_str(value: ohttpRelayHelp)
            try serializer.serialize_str(value: ohttpRelay)
            try serializeOption(value: ohttpRelayError, serializer: serializer) { value, serializer in
                try serializer.serialize_str(value: value)
            }
            try serializer.serialize_str(value: ohttpRelaySave)
            try serializer.serialize_str(value: escrowInviteLabel)
            try serializer.serialize_str(value: escrowInviteHelp)
            try serializeOption(value: escrowInviteKept, serializer: serializer) { value, serializer in
                try serializer.serialize_str(value: value)
            }
            try serializeOption(value: escrowInviteError, serializer: serializer) { value, serializer in
                try serializer.serialize_str(value: value)
            }
            try serializer.serialize_str(value: escrowInviteSave)
            try serializer.serialize_str(value: wipe)
            try serializer.serialize_str(value: wipeWarning)
            try serializer.serialize_bool(value: confirmWipe)
            try serializer.serialize_str(value: confirm)
            try serializer.serialize_str(value: cancel)
        case .broken(let text):
            try serializer.serialize_variant_index(value: 13)
            try serializer.serialize_str(value: text)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> Screen {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            let text = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .loading(text: text)
        case 1:
            let intro = try deserializer.deserialize_str()
            let chooseLanguage = try deserializer.deserialize_str()
            let languages = try deserializeArray(deserializer: deserializer) { deserializer in
                try Choice.deserialize(deserializer: deserializer)
            }
            let start = try deserializer.deserialize_str()
            let recover = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .welcome(intro: intro, chooseLanguage: chooseLanguage, languages: languages, start: start, recover: recover)
        case 2:
            let intro = try deserializer.deserialize_str()
            let pinLabel = try deserializer.deserialize_str()
            let confirmLabel = try deserializer.deserialize_str()
            let duressLabel = try deserializer.deserialize_str()
            let duressHelp = try deserializer.deserialize_str()
            let submit = try deserializer.deserialize_str()
            let error = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_str()
            }
            let recovering = try deserializer.deserialize_bool()
            try deserializer.decrease_container_depth()
            return .setPin(intro: intro, pinLabel: pinLabel, confirmLabel: confirmLabel, duressLabel: duressLabel, duressHelp: duressHelp, submit: submit, error: error, recovering: recovering)
        case 3:
            let intro = try deserializer.deserialize_str()
            let code = try deserializer.deserialize_str()
            let done = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .showRecoveryCode(intro: intro, code: code, done: done)
        case 4:
            let intro = try deserializer.deserialize_str()
            let codeLabel = try deserializer.deserialize_str()
            let submit = try deserializer.deserialize_str()
            let error = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_str()
            }
            try deserializer.decrease_container_depth()
            return .enterRecoveryCode(intro: intro, codeLabel: codeLabel, submit: submit, error: error)
        case 5:
            let text = try deserializer.deserialize_str()
            let checked = try deserializer.deserialize_u32()
            let found = try deserializer.deserialize_u32()
            let retry = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .recovering(text: text, checked: checked, found: found, retry: retry)
        case 6:
            let pinLabel = try deserializer.deserialize_str()
            let submit = try deserializer.deserialize_str()
            let attemptsLeft = try deserializer.deserialize_u32()
            let attemptsText = try deserializer.deserialize_str()
            let error = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_str()
            }
            try deserializer.decrease_container_depth()
            return .unlock(pinLabel: pinLabel, submit: submit, attemptsLeft: attemptsLeft, attemptsText: attemptsText, error: error)
        case 7:
            let newReport = try deserializer.deserialize_str()
            let outbox = try deserializer.deserialize_str()
            let outboxSummary = try deserializer.deserialize_str()
            let settings = try deserializer.deserialize_str()
            let lock = try deserializer.deserialize_str()
            let hasDraft = try deserializer.deserialize_bool()
            try deserializer.decrease_container_depth()
            return .home(newReport: newReport, outbox: outbox, outboxSummary: outboxSummary, settings: settings, lock: lock, hasDraft: hasDraft)
        case 8:
            let x = try ComposeView.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .compose(x)
        case 9:
            let x = try ReviewView.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .review(x)
        case 10:
            let items = try deserializeArray(deserializer: deserializer) { deserializer in
                try OutboxItem.deserialize(deserializer: deserializer)
            }
            let empty = try deserializer.deserialize_str()
            let checkMailbox = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .outbox(items: items, empty: empty, checkMailbox: checkMailbox)
        case 11:
            let x = try ReportView.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .report(x)
        case 12:
            let languageLabel = try deserializer.deserialize_str()
            let languages = try deserializeArray(deserializer: deserializer) { deserializer in
                try Choice.deserialize(deserializer: deserializer)
            }
            let autoLockLabel = try deserializer.deserialize_str()
            let autoLock = try deserializeArray(deserializer: deserializer) { deserializer in
                try Choice.deserialize(deserializer: deserializer)
            }
            let evidenceLabel = try deserializer.deserialize_str()
            let evidenceHelp = try deserializer.deserialize_str()
            let evidenceChoices = try deserializeArray(deserializer: deserializer) { deserializer in
                try Choice.deserialize(deserializer: deserializer)
            }
            let routeLabel = try deserializer.deserialize_str()
            let routeHelp = try deserializer.deserialize_str()
            let routeChoices = try deserializeArray(deserializer: deserializer) { deserializer in
                try Choice.deserialize(deserializer: deserializer)
            }
            let ohttpRelayLabel = try deserializer.deserialize_str()
            let ohttpRelayHelp = try deserializer.deserialize_str()
            let ohttpRelay = try deserializer.deserialize_str()
            let ohttpRelayError = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_str()
            }
            let ohttpRelaySave = try deserializer.deserialize_str()
            let escrowInviteLabel = try deserializer.deserialize_str()
            let escrowInviteHelp = try deserializer.deserialize_str()
            let escrowInviteKept = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_str()
            }
            let escrowInviteError = try deserializeOption(deserializer: deserializer) { deserializer in
                try deserializer.deserialize_str()
            }
            let escrowInviteSave = try deserializer.deserialize_str()
            let wipe = try deserializer.deserialize_str()
            let wipeWarning = try deserializer.deserialize_str()
            let confirmWipe = try deserializer.deserialize_bool()
            let confirm = try deserializer.deserialize_str()
            let cancel = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .settings(languageLabel: languageLabel, languages: languages, autoLockLabel: autoLockLabel, autoLock: autoLock, evidenceLabel: evidenceLabel, evidenceHelp: evidenceHelp, evidenceChoices: evidenceChoices, routeLabel: routeLabel, routeHelp: routeHelp, routeChoices: routeChoices, ohttpRelayLabel: ohttpRelayLabel, ohttpRelayHelp: ohttpRelayHelp, ohttpRelay: ohttpRelay, ohttpRelayError: ohttpRelayError, ohttpRelaySave: ohttpRelaySave, escrowInviteLabel: escrowInviteLabel, escrowInviteHelp: escrowInviteHelp, escrowInviteKept: escrowInviteKept, escrowInviteError: escrowInviteError, escrowInviteSave: escrowInviteSave, wipe: wipe, wipeWarning: wipeWarning, confirmWipe: confirmWipe, confirm: confirm, cancel: cancel)
        case 13:
            let text = try deserializer.deserialize_str()
            try deserializer.decrease_container_depth()
            return .broken(text: text)
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for Screen: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> Screen {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

indirect public enum ShellEffect: Hashable, Equatable {
    /// Call `view` and redraw. Needs no `resolve`.
    case render(RenderOperation)
    /// Perform the request, then `resolve(id, HttpResult)`.
    case http(HttpRequest)
    /// Do what only the platform can (forget the platform secret after a wipe). Needs no
    /// `resolve`.
    case platform(PlatformOperation)

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .render(let x):
            try serializer.serialize_variant_index(value: 0)
            try x.serialize(serializer: serializer)
        case .http(let x):
            try serializer.serialize_variant_index(value: 1)
            try x.serialize(serializer: serializer)
        case .platform(let x):
            try serializer.serialize_variant_index(value: 2)
            try x.serialize(serializer: serializer)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ShellEffect {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            let x = try RenderOperation.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .render(x)
        case 1:
            let x = try HttpRequest.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .http(x)
        case 2:
            let x = try PlatformOperation.deserialize(deserializer: deserializer)
            try deserializer.decrease_container_depth()
            return .platform(x)
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for ShellEffect: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ShellEffect {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// A request for the native shell: draw, or perform HTTP and call `resolve` with the id.
public struct ShellRequest: Hashable, Equatable {
    public var id: UInt32
    public var effect: ShellEffect

    public init(id: UInt32, effect: ShellEffect) {
        self.id = id
        self.effect = effect
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_u32(value: self.id)
        try self.effect.serialize(serializer: serializer)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ShellRequest {
        try deserializer.increase_container_depth()
        let id = try deserializer.deserialize_u32()
        let effect = try ShellEffect.deserialize(deserializer: deserializer)
        try deserializer.decrease_container_depth()
        return ShellRequest(id: id, effect: effect)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ShellRequest {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// The steps of writing a report, in order.
indirect public enum Step: Hashable, Equatable {
    case money
    case whatHappened
    case people
    case place
    case wage
    case story
    case evidence
    case consent

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .money:
            try serializer.serialize_variant_index(value: 0)
        case .whatHappened:
            try serializer.serialize_variant_index(value: 1)
        case .people:
            try serializer.serialize_variant_index(value: 2)
        case .place:
            try serializer.serialize_variant_index(value: 3)
        case .wage:
            try serializer.serialize_variant_index(value: 4)
        case .story:
            try serializer.serialize_variant_index(value: 5)
        case .evidence:
            try serializer.serialize_variant_index(value: 6)
        case .consent:
            try serializer.serialize_variant_index(value: 7)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> Step {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .money
        case 1:
            try deserializer.decrease_container_depth()
            return .whatHappened
        case 2:
            try deserializer.decrease_container_depth()
            return .people
        case 3:
            try deserializer.decrease_container_depth()
            return .place
        case 4:
            try deserializer.decrease_container_depth()
            return .wage
        case 5:
            try deserializer.decrease_container_depth()
            return .story
        case 6:
            try deserializer.decrease_container_depth()
            return .evidence
        case 7:
            try deserializer.decrease_container_depth()
            return .consent
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for Step: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> Step {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

/// One step of the compose flow, for a step bar: [`super::Event::GoToStep`] with it.
public struct StepChoice: Hashable, Equatable {
    public var step: Step
    public var label: String
    public var selected: Bool

    public init(step: Step, label: String, selected: Bool) {
        self.step = step
        self.label = label
        self.selected = selected
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try self.step.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.label)
        try serializer.serialize_bool(value: self.selected)
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> StepChoice {
        try deserializer.increase_container_depth()
        let step = try Step.deserialize(deserializer: deserializer)
        let label = try deserializer.deserialize_str()
        let selected = try deserializer.deserialize_bool()
        try deserializer.decrease_container_depth()
        return StepChoice(step: step, label: label, selected: selected)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> StepChoice {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

indirect public enum TextDirection: Hashable, Equatable {
    case ltr
    case rtl

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        switch self {
        case .ltr:
            try serializer.serialize_variant_index(value: 0)
        case .rtl:
            try serializer.serialize_variant_index(value: 1)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> TextDirection {
        let index = try deserializer.deserialize_variant_index()
        try deserializer.increase_container_depth()
        switch index {
        case 0:
            try deserializer.decrease_container_depth()
            return .ltr
        case 1:
            try deserializer.decrease_container_depth()
            return .rtl
        default: throw DeserializationError.invalidInput(issue: "Unknown variant index for TextDirection: \(index)")
        }
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> TextDirection {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}

public struct ViewModel: Hashable, Equatable {
    /// BCP 47 code of the language of every string here.
    public var language: String
    public var direction: TextDirection
    public var title: String
    public var screen: Screen
    public var notice: Notice?
    /// Waiting for the phone (PIN check, saving): show progress, ignore taps.
    public var busy: Bool
    /// Send [`super::Event::Tick`] after this many milliseconds (retries, mailbox checks).
    public var wakeInMs: UInt64?

    public init(language: String, direction: TextDirection, title: String, screen: Screen, notice: Notice?, busy: Bool, wakeInMs: UInt64?) {
        self.language = language
        self.direction = direction
        self.title = title
        self.screen = screen
        self.notice = notice
        self.busy = busy
        self.wakeInMs = wakeInMs
    }

    public func serialize<S: Serializer>(serializer: S) throws {
        try serializer.increase_container_depth()
        try serializer.serialize_str(value: self.language)
        try self.direction.serialize(serializer: serializer)
        try serializer.serialize_str(value: self.title)
        try self.screen.serialize(serializer: serializer)
        try serializeOption(value: self.notice, serializer: serializer) { value, serializer in
            try value.serialize(serializer: serializer)
        }
        try serializer.serialize_bool(value: self.busy)
        try serializeOption(value: self.wakeInMs, serializer: serializer) { value, serializer in
            try serializer.serialize_u64(value: value)
        }
        try serializer.decrease_container_depth()
    }

    public func bincodeSerialize() throws -> [UInt8] {
        let serializer = BincodeSerializer.init();
        try self.serialize(serializer: serializer)
        return serializer.get_bytes()
    }

    public static func deserialize<D: Deserializer>(deserializer: D) throws -> ViewModel {
        try deserializer.increase_container_depth()
        let language = try deserializer.deserialize_str()
        let direction = try TextDirection.deserialize(deserializer: deserializer)
        let title = try deserializer.deserialize_str()
        let screen = try Screen.deserialize(deserializer: deserializer)
        let notice = try deserializeOption(deserializer: deserializer) { deserializer in
            try Notice.deserialize(deserializer: deserializer)
        }
        let busy = try deserializer.deserialize_bool()
        let wakeInMs = try deserializeOption(deserializer: deserializer) { deserializer in
            try deserializer.deserialize_u64()
        }
        try deserializer.decrease_container_depth()
        return ViewModel(language: language, direction: direction, title: title, screen: screen, notice: notice, busy: busy, wakeInMs: wakeInMs)
    }

    public static func bincodeDeserialize(input: [UInt8]) throws -> ViewModel {
        let deserializer = BincodeDeserializer.init(input: input);
        let obj = try deserialize(deserializer: deserializer)
        if deserializer.get_buffer_offset() < input.count {
            throw DeserializationError.invalidInput(issue: "Some input bytes were not read")
        }
        return obj
    }
}
