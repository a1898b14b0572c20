import PhotosUI
import SwiftUI
import UIKit
import UniformTypeIdentifiers
import WorkvoiceTypes

/// One step of the report wizard, drawn from the core's `ComposeView`: its text inputs
/// (`fields`, whose `name` is the event field they go to), its pickers and toggles (`options`),
/// what was already added (`items`), its buttons (`actions`) and the core's message for each
/// field that is wrong (`errors`).
///
/// What the worker types stays here until she leaves the step; it then goes to the core
/// (`SetRecruiter`, `SetPlace`, ...) just before `NextStep`, `PreviousStep` or `GoToStep`, and
/// the core saves the draft and says what is wrong. Toggles go at once.
struct ComposeScreen: View {
    let compose: ComposeView
    let send: (Event) -> Void

    @State private var inputs: [String: String]
    @State private var picks: [String: String]
    @State private var edited = false
    /// Typing counts as activity for the core's idle lock; told at most every 10 seconds.
    @State private var typingToldAt = Date.distantPast
    @State private var itemCount: Int
    @State private var photo: PhotosPickerItem?
    @State private var askDiscard = false

    init(compose: ComposeView, send: @escaping (Event) -> Void) {
        self.compose = compose
        self.send = send
        var inputs: [String: String] = [:]
        for field in compose.fields { inputs[field.name] = field.value }
        var picks: [String: String] = [:]
        for group in compose.options where !Self.isToggleGroup(group.name) {
            if let chosen = group.choices.first(where: { $0.selected }) {
                picks[group.name] = chosen.code
            }
        }
        _inputs = State(initialValue: inputs)
        _picks = State(initialValue: picks)
        _itemCount = State(initialValue: compose.items.count)
    }

    /// Inputs that take a number (amounts, a wage, an interest).
    static func isNumber(_ name: String) -> Bool {
        name.hasSuffix(".amount") || name.hasSuffix(".wage") || name.hasSuffix(".interest")
    }

    /// Groups whose choices are each on or off; the others pick one choice.
    static func isToggleGroup(_ name: String) -> Bool {
        name == "indicators" || name == "consent"
    }

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 20) {
                stepBar
                Text(compose.counter).font(.caption).foregroundStyle(.secondary)
                Text(compose.help)
                ForEach(generalErrors, id: \.self) { error in
                    ErrorText(text: error.message)
                }
                ForEach(compose.fields, id: \.name) { field in
                    input(field)
                }
                ForEach(compose.options, id: \.name) { group in
                    options(group)
                }
                ForEach(compose.actions, id: \.code) { action in
                    actionButton(action)
                }
                if !compose.items.isEmpty {
                    VStack(spacing: 0) {
                        ForEach(compose.items, id: \.self) { item in
                            itemRow(item)
                            Divider()
                        }
                    }
                }
                HStack(spacing: 12) {
                    SecondaryButton(title: compose.back) { leave(with: .previousStep) }
                    PrimaryButton(title: compose.next) { leave(with: .nextStep) }
                }
                Button(compose.discard, role: .destructive) { askDiscard = true }
                    .frame(maxWidth: .infinity)
            }
            .padding()
        }
        .scrollDismissesKeyboard(.interactively)
        .onChange(of: compose.items.count) { count in
            if count > itemCount { clearAddForm() }
            itemCount = count
        }
        .onChange(of: photo) { item in
            guard let item else { return }
            Task { await addPhoto(item) }
        }
        .confirmationDialog(compose.discard, isPresented: $askDiscard, titleVisibility: .hidden) {
            Button(compose.discard, role: .destructive) { send(.discardDraft) }
        }
    }

    // MARK: - Parts

    private var stepBar: some View {
        ScrollView(.horizontal, showsIndicators: false) {
            HStack(spacing: 8) {
                ForEach(compose.steps, id: \.code) { step in
                    Button { leave(with: .goToStep(step: step.code)) } label: {
                        Text(step.label)
                            .font(.footnote.weight(step.selected ? .bold : .regular))
                            .padding(.horizontal, 10)
                            .padding(.vertical, 6)
                            .background(
                                Capsule().fill(
                                    step.selected
                                        ? Color.accentColor.opacity(0.2)
                                        : Color(uiColor: .secondarySystemBackground)))
                    }
                    .buttonStyle(.plain)
                    .accessibilityAddTraits(step.selected ? .isSelected : [])
                }
            }
        }
    }

    private func input(_ field: Field) -> some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(field.label).font(.subheadline)
            TextField("", text: binding(for: field.name), axis: .vertical)
                .lineLimit(field.name == "story.text" ? 5...20 : 1...3)
                .keyboardType(Self.isNumber(field.name) ? .decimalPad : .default)
                .autocorrectionDisabled(field.name != "story.text")
                .textFieldStyle(.roundedBorder)
                .accessibilityLabel(field.label)
            ForEach(errors(for: field.name), id: \.self) { error in
                ErrorText(text: error.message)
            }
        }
    }

    @ViewBuilder private func options(_ group: OptionGroup) -> some View {
        Block(group.label) {
            if Self.isToggleGroup(group.name) {
                ToggleChoiceList(choices: group.choices) { choice in toggle(choice, in: group) }
            } else {
                SingleChoiceList(
                    choices: group.choices,
                    isSelected: { picks[group.name] == $0.code },
                    choose: { choice in
                        picks[group.name] = choice.code
                        edited = true
                    })
            }
            ForEach(errors(for: group.name), id: \.self) { error in
                ErrorText(text: error.message)
            }
        }
    }

    @ViewBuilder private func actionButton(_ action: Choice) -> some View {
        if action.code == "add_evidence" {
            PhotosPicker(selection: $photo, matching: .images, preferredItemEncoding: .compatible) {
                Label(action.label, systemImage: "photo.badge.plus")
                    .frame(maxWidth: .infinity)
            }
            .buttonStyle(.bordered)
            .controlSize(.large)
        } else {
            SecondaryButton(title: action.label) { perform(action.code) }
        }
    }

    private func itemRow(_ item: ListItem) -> some View {
        HStack {
            Text(item.text).frame(maxWidth: .infinity, alignment: .leading)
            Button(role: .destructive) { remove(item) } label: {
                Image(systemName: "trash")
            }
            .buttonStyle(.borderless)
        }
        .padding(.vertical, 8)
    }

    // MARK: - Errors

    private var inputNames: Set<String> {
        Set(compose.fields.map(\.name) + compose.options.map(\.name))
    }

    private func errors(for name: String) -> [FieldMessage] {
        compose.errors.filter { $0.field == name }
    }

    /// Messages about fields that have no input of their own on this step.
    private var generalErrors: [FieldMessage] {
        let names = inputNames
        return compose.errors.filter { !names.contains($0.field) }
    }

    // MARK: - Events

    private func binding(for name: String) -> Binding<String> {
        Binding(
            get: { inputs[name] ?? "" },
            set: { value in
                inputs[name] = value
                edited = true
                if Date().timeIntervalSince(typingToldAt) >= 10 {
                    typingToldAt = Date()
                    send(.typing)
                }
            })
    }

    private func value(_ name: String) -> String { inputs[name] ?? "" }

    /// "yes" / "no" / "dont_know" of a yes-no picker.
    private func yesNo(_ code: String?) -> Bool? {
        switch code {
        case "yes": return true
        case "no": return false
        default: return nil
        }
    }

    private func toggle(_ choice: Choice, in group: OptionGroup) {
        if group.name == "indicators" {
            send(.setIndicator(indicator: choice.code, present: !choice.selected))
        } else if group.name == "consent" {
            func flag(_ code: String) -> Bool {
                let current = group.choices.first(where: { $0.code == code })?.selected ?? false
                return code == choice.code ? !current : current
            }
            send(
                .setConsent(
                    union: flag("union"), inspectorate: flag("inspectorate"), ngo: flag("ngo"),
                    contactWanted: flag("contact_wanted")))
        }
    }

    private func perform(_ action: String) {
        switch action {
        case "add_fee":
            send(
                .addFee(
                    amount: value("fee.amount"), currency: value("fee.currency"),
                    payee: picks["fee.payee"] ?? "", stage: picks["fee.stage"] ?? "",
                    category: picks["fee.category"] ?? "", paidOn: value("fee.paid_on"),
                    receipt: yesNo(picks["fee.receipt"])))
        case "add_deduction":
            // The deduction takes the amount typed above unless the step has inputs of its own.
            send(
                .addDeduction(
                    amount: inputs["deduction.amount"] ?? value("fee.amount"),
                    currency: inputs["deduction.currency"] ?? value("fee.currency"),
                    reason: picks["deduction.reason"] ?? "",
                    monthly: picks["deduction.monthly"] == "yes"))
        case "add_loan":
            send(
                .addLoan(
                    amount: value("loan.amount"), currency: value("loan.currency"),
                    lender: picks["loan.lender"] ?? "", interest: value("loan.interest")))
        default:
            break
        }
    }

    /// After a payment, a deduction or a loan was added, empty the inputs it was typed in.
    private func clearAddForm() {
        for name in inputs.keys where Self.isAddInput(name) { inputs[name] = "" }
        for name in picks.keys where Self.isAddInput(name) { picks[name] = nil }
    }

    private static func isAddInput(_ name: String) -> Bool {
        name.hasPrefix("fee.") || name.hasPrefix("deduction.") || name.hasPrefix("loan.")
    }

    private func remove(_ item: ListItem) {
        switch item.group {
        case "fees": send(.removeFee(index: item.index))
        case "deductions": send(.removeDeduction(index: item.index))
        case "loans": send(.removeLoan(index: item.index))
        case "evidence": send(.removeEvidence(index: item.index))
        default: break
        }
    }

    /// What the worker typed on this step, as the core's events.
    private func commitEvents() -> [Event] {
        guard edited else { return [] }
        let names = Set(compose.fields.map(\.name))
        var events: [Event] = []
        if names.contains("recruiter.name") {
            events.append(
                .setRecruiter(
                    name: value("recruiter.name"),
                    licenceNumber: value("recruiter.licence_number"),
                    country: value("recruiter.country")))
        }
        if names.contains("employer.name") {
            events.append(
                .setEmployer(
                    name: value("employer.name"),
                    licenceNumber: value("employer.licence_number"),
                    country: value("employer.country")))
        }
        if names.contains("destination_country") {
            events.append(
                .setPlace(
                    destinationCountry: value("destination_country"),
                    originCountry: value("origin_country"),
                    sector: picks["sector"] ?? ""))
        }
        if names.contains("job.promised.title") {
            events.append(
                .setJob(
                    promisedTitle: value("job.promised.title"),
                    promisedWage: value("job.promised.wage"),
                    promisedCurrency: value("job.promised.currency"),
                    actualTitle: value("job.actual.title"),
                    promisedEmployer: value("job.promised.employer")))
        }
        if names.contains("wage.amount") {
            events.append(
                .setWage(
                    amount: value("wage.amount"), currency: value("wage.currency"),
                    contractSubstituted: yesNo(picks["contract_substituted"])))
        }
        if names.contains("story.text") {
            events.append(.setStory(text: value("story.text"), language: value("story.language")))
        }
        return events
    }

    private func leave(with event: Event) {
        for commit in commitEvents() { send(commit) }
        edited = false
        send(event)
    }

    @MainActor private func addPhoto(_ item: PhotosPickerItem) async {
        defer { photo = nil }
        // JPEG and PNG go to the core as a file it reads a piece at a time; other types (HEIC)
        // are re-encoded in memory, which needs the whole image decoded anyway.
        if let copy = try? await item.loadTransferable(type: PickedPhotoFile.self) {
            if copy.isJpegOrPng {
                send(.addEvidenceFile(path: copy.url.path))
                return
            }
            try? FileManager.default.removeItem(at: copy.url)
        }
        guard let data = try? await item.loadTransferable(type: Data.self) else { return }
        send(.addEvidence(bytes: EvidenceBytes.jpegOrPng(data)))
    }
}

/// A picked photo received as a file and copied, as it is, into the core's evidence intake
/// directory: never loaded whole here (the shell contract in ARCHITECTURE.md). The core deletes
/// the copy once it has read it.
struct PickedPhotoFile: Transferable {
    let url: URL

    /// JPEG first: with the picker's `.compatible` encoding the system hands a HEIC photo over
    /// as a JPEG file it converted itself, so the app never decodes it; then PNG.
    static var transferRepresentation: some TransferRepresentation {
        FileRepresentation(importedContentType: .jpeg) { received in try intake(received.file) }
        FileRepresentation(importedContentType: .png) { received in try intake(received.file) }
    }

    private static func intake(_ file: URL) throws -> PickedPhotoFile {
        let directory = try ShellSettings.evidenceIntakeDirectory()
        let copy = directory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.copyItem(at: file, to: copy)
        return PickedPhotoFile(url: copy)
    }

    /// Whether the copy starts as a JPEG or a PNG does.
    var isJpegOrPng: Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4)) ?? Data())
        return head.starts(with: [0xFF, 0xD8, 0xFF]) || head.starts(with: [0x89, 0x50, 0x4E, 0x47])
    }
}

/// The core takes JPEG and PNG (and strips their metadata itself); anything else the picker
/// hands over is re-encoded as JPEG first, which also drops its metadata.
enum EvidenceBytes {
    static func jpegOrPng(_ data: Data) -> [UInt8] {
        let head = [UInt8](data.prefix(4))
        let isJpeg = head.starts(with: [0xFF, 0xD8, 0xFF])
        let isPng = head == [0x89, 0x50, 0x4E, 0x47]
        if isJpeg || isPng { return [UInt8](data) }
        if let image = UIImage(data: data), let jpeg = image.jpegData(compressionQuality: 0.85) {
            return [UInt8](jpeg)
        }
        return [UInt8](data)
    }
}
