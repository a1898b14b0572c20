import PhotosUI
import SwiftUI
import UIKit
import UniformTypeIdentifiers
import WorkvoiceTypes

/// One step of the report wizard, drawn from the core's `ComposeView`. This screen knows no
/// field of the report: it draws the inputs (`fields`), pickers and toggles (`options`), buttons
/// (`actions`) and added items (`items`) the view lists, and sends back the id each came with
/// (`.input`, `.pick`, `.act`, `.removeItem`). The core keeps what is typed (in memory only),
/// shows it back in `value`, builds the report from it when the worker leaves the step, and puts
/// each problem next to its input. The one button the shell answers itself is `.pickEvidence`:
/// the photo picker (the shell contract in ARCHITECTURE.md).
struct ComposeScreen: View {
    let compose: ComposeView
    let send: (Event) -> Void

    @State private var photo: PhotosPickerItem?
    @State private var askDiscard = false

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 20) {
                stepBar
                Text(compose.counter).font(.caption).foregroundStyle(.secondary)
                Text(compose.help)
                ForEach(compose.errors, id: \.self) { error in
                    ErrorText(text: error.message)
                }
                ForEach(compose.fields, id: \.id) { field in
                    input(field)
                }
                ForEach(compose.options, id: \.id) { group in
                    options(group)
                }
                ForEach(compose.actions, id: \.id) { action in
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
                    SecondaryButton(title: compose.back) { send(.previousStep) }
                    PrimaryButton(title: compose.next) { send(.nextStep) }
                }
                Button(compose.discard, role: .destructive) { askDiscard = true }
                    .frame(maxWidth: .infinity)
            }
            .padding()
        }
        .scrollDismissesKeyboard(.interactively)
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
                ForEach(compose.steps, id: \.step) { step in
                    Button { send(.goToStep(step: step.step)) } label: {
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
        let long = field.kind == .longText
        return VStack(alignment: .leading, spacing: 4) {
            Text(field.label).font(.subheadline)
            // The core keeps the text: it is shown from the view model and each change goes back.
            TextField(
                "",
                text: Binding(get: { field.value }, set: { send(.input(field: field.id, value: $0)) }),
                axis: .vertical
            )
            .lineLimit(long ? 5...20 : 1...3)
            .keyboardType(Self.keyboard(field.kind))
            .autocorrectionDisabled(!(long || field.kind == .text))
            .textFieldStyle(.roundedBorder)
            .accessibilityLabel(field.label)
            ForEach(field.errors, id: \.self) { error in
                ErrorText(text: error.message)
            }
        }
    }

    private static func keyboard(_ kind: InputKind) -> UIKeyboardType {
        switch kind {
        case .number: return .decimalPad
        case .date: return .numbersAndPunctuation
        default: return .default
        }
    }

    @ViewBuilder private func options(_ group: OptionGroup) -> some View {
        Block(group.label) {
            if group.multiple {
                ToggleChoiceList(choices: group.choices) { choice in
                    send(.pick(field: group.id, code: choice.code))
                }
            } else {
                SingleChoiceList(
                    choices: group.choices,
                    isSelected: { $0.selected },
                    choose: { choice in send(.pick(field: group.id, code: choice.code)) })
            }
            ForEach(group.errors, id: \.self) { error in
                ErrorText(text: error.message)
            }
        }
    }

    @ViewBuilder private func actionButton(_ action: Action) -> some View {
        if action.id == .pickEvidence {
            PhotosPicker(selection: $photo, matching: .images, preferredItemEncoding: .compatible) {
                Label(action.label, systemImage: "photo.badge.plus")
                    .frame(maxWidth: .infinity)
            }
            .buttonStyle(.bordered)
            .controlSize(.large)
        } else {
            SecondaryButton(title: action.label) { send(.act(action: action.id)) }
        }
    }

    private func itemRow(_ item: ListItem) -> some View {
        HStack {
            Text(item.text).frame(maxWidth: .infinity, alignment: .leading)
            Button(role: .destructive) { send(.removeItem(list: item.list, index: item.index)) } label: {
                Image(systemName: "trash")
            }
            .buttonStyle(.borderless)
        }
        .padding(.vertical, 8)
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
/// hands over is re-encoded as JPEG first, which also drops its metadata: at quality 0.85 and at
/// most `maxSide` pixels on its longest side, as on Android (the shell contract in
/// ARCHITECTURE.md).
enum EvidenceBytes {
    /// Longest side of a re-encoded photo, so that a cheap phone does not run out of memory.
    static let maxSide: CGFloat = 4096

    static func jpegOrPng(_ data: Data) -> [UInt8] {
        let head = [UInt8](data.prefix(4))
        let isJpeg = head.starts(with: [0xFF, 0xD8, 0xFF])
        let isPng = head == [0x89, 0x50, 0x4E, 0x47]
        if isJpeg || isPng { return [UInt8](data) }
        if let image = UIImage(data: data),
            let jpeg = fitting(image).jpegData(compressionQuality: 0.85)
        {
            return [UInt8](jpeg)
        }
        return [UInt8](data)
    }

    private static func fitting(_ image: UIImage) -> UIImage {
        let side = max(image.size.width, image.size.height)
        guard side > maxSide else { return image }
        let scale = maxSide / side
        let size = CGSize(
            width: (image.size.width * scale).rounded(.down),
            height: (image.size.height * scale).rounded(.down))
        let format = UIGraphicsImageRendererFormat.default()
        format.scale = 1
        return UIGraphicsImageRenderer(size: size, format: format).image { _ in
            image.draw(in: CGRect(origin: .zero, size: size))
        }
    }
}
