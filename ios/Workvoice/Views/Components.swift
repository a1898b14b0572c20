import SwiftUI
import WorkvoiceTypes

/// The core's notice (saved, storage failed, ...), above the screen until dismissed.
struct NoticeBanner: View {
    let notice: Notice
    let dismiss: () -> Void

    var body: some View {
        HStack(alignment: .top, spacing: 12) {
            Image(systemName: notice.error ? "exclamationmark.circle.fill" : "checkmark.circle.fill")
            Text(notice.text)
                .frame(maxWidth: .infinity, alignment: .leading)
            Button(action: dismiss) {
                Image(systemName: "xmark")
            }
            .buttonStyle(.borderless)
        }
        .padding(12)
        .foregroundStyle(notice.error ? Color.white : Color.primary)
        .background(notice.error ? Color.red : Color.green.opacity(0.2))
    }
}

/// A message about a field, in the core's words.
struct ErrorText: View {
    let text: String

    var body: some View {
        Label {
            Text(text)
        } icon: {
            Image(systemName: "exclamationmark.circle")
        }
        .font(.footnote)
        .foregroundStyle(.red)
        .frame(maxWidth: .infinity, alignment: .leading)
    }
}

/// The main button of a screen, full width.
struct PrimaryButton: View {
    let title: String
    var role: ButtonRole?
    var enabled = true
    let action: () -> Void

    var body: some View {
        Button(role: role, action: action) {
            Text(title).frame(maxWidth: .infinity)
        }
        .buttonStyle(.borderedProminent)
        .controlSize(.large)
        .disabled(!enabled)
    }
}

/// A secondary full-width button.
struct SecondaryButton: View {
    let title: String
    var role: ButtonRole?
    let action: () -> Void

    var body: some View {
        Button(role: role, action: action) {
            Text(title).frame(maxWidth: .infinity)
        }
        .buttonStyle(.bordered)
        .controlSize(.large)
    }
}

/// Choices of which one is taken (a language, a payee...): tapping one calls `choose` with its
/// code.
struct SingleChoiceList: View {
    let choices: [Choice]
    let isSelected: (Choice) -> Bool
    let choose: (Choice) -> Void

    var body: some View {
        VStack(spacing: 0) {
            ForEach(choices, id: \.code) { choice in
                Button { choose(choice) } label: {
                    HStack {
                        Text(choice.label)
                            .frame(maxWidth: .infinity, alignment: .leading)
                        Image(systemName: isSelected(choice) ? "largecircle.fill.circle" : "circle")
                            .foregroundStyle(isSelected(choice) ? Color.accentColor : Color.secondary)
                    }
                    .contentShape(Rectangle())
                    .padding(.vertical, 10)
                }
                .buttonStyle(.plain)
                .accessibilityAddTraits(isSelected(choice) ? .isSelected : [])
                Divider()
            }
        }
    }
}

/// Choices that are each on or off (what happened, who may read the report).
struct ToggleChoiceList: View {
    let choices: [Choice]
    let toggle: (Choice) -> Void

    var body: some View {
        VStack(spacing: 0) {
            ForEach(choices, id: \.code) { choice in
                Button { toggle(choice) } label: {
                    HStack(alignment: .top) {
                        Text(choice.label)
                            .frame(maxWidth: .infinity, alignment: .leading)
                        Image(systemName: choice.selected ? "checkmark.square.fill" : "square")
                            .foregroundStyle(choice.selected ? Color.accentColor : Color.secondary)
                    }
                    .contentShape(Rectangle())
                    .padding(.vertical, 10)
                }
                .buttonStyle(.plain)
                .accessibilityAddTraits(choice.selected ? .isSelected : [])
                Divider()
            }
        }
    }
}

/// A labelled block of a screen.
struct Block<Content: View>: View {
    let title: String?
    let content: Content

    init(_ title: String? = nil, @ViewBuilder content: () -> Content) {
        self.title = title
        self.content = content()
    }

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            if let title, !title.isEmpty {
                Text(title).font(.headline)
            }
            content
        }
        .frame(maxWidth: .infinity, alignment: .leading)
    }
}

/// A PIN input: digits only, never autofilled or remembered.
struct PinField: View {
    let label: String
    @Binding var pin: String

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            Text(label).font(.subheadline)
            SecureField("", text: $pin)
                .keyboardType(.numberPad)
                .autocorrectionDisabled()
                .textInputAutocapitalization(.never)
                .textFieldStyle(.roundedBorder)
                .font(.title2.monospacedDigit())
                .accessibilityLabel(label)
        }
    }
}
