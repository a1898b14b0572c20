import SwiftUI
import WorkvoiceTypes

/// Review and consent: exactly what the relay will see, who will receive the report and why,
/// who is left out for lack of consent, and any organisation whose key the phone does not trust.
struct ReviewScreen: View {
    let review: ReviewView
    let send: (Event) -> Void

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 24) {
                Text(review.intro)
                VStack(alignment: .leading, spacing: 8) {
                    ForEach(review.disclosed, id: \.self) { line in
                        VStack(alignment: .leading, spacing: 2) {
                            Text(line.label).font(.caption).foregroundStyle(.secondary)
                            Text(line.value)
                        }
                    }
                }
                .padding()
                .frame(maxWidth: .infinity, alignment: .leading)
                .background(RoundedRectangle(cornerRadius: 12).fill(Color(uiColor: .secondarySystemBackground)))

                Block(review.recipientsTitle) {
                    ForEach(review.recipients, id: \.self) { recipient in
                        RecipientRow(recipient: recipient)
                    }
                }
                if !review.withheld.isEmpty {
                    Block(review.withheldTitle) {
                        ForEach(review.withheld, id: \.self) { recipient in
                            RecipientRow(recipient: recipient)
                        }
                    }
                }
                if let note = review.note {
                    Text(note).foregroundStyle(.orange)
                }
                VStack(alignment: .leading, spacing: 4) {
                    ForEach(review.summary, id: \.self) { line in
                        Text(line).font(.subheadline)
                    }
                }
                PrimaryButton(title: review.send, enabled: review.canSend) { send(.sendReport) }
                // Back to the last step, where consent is chosen.
                SecondaryButton(title: review.edit) { send(.previousStep) }
            }
            .padding()
        }
    }
}

struct RecipientRow: View {
    let recipient: RecipientView

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            HStack {
                Text(recipient.name).font(.body.weight(.semibold))
                Text(recipient.kind).font(.caption).foregroundStyle(.secondary)
            }
            Text(recipient.reason).font(.subheadline)
            if let problem = recipient.problem {
                ErrorText(text: problem)
            }
        }
        .padding(.vertical, 6)
        .frame(maxWidth: .infinity, alignment: .leading)
    }
}

/// The outbox: the draft and every report, newest first, with where each one is.
struct OutboxScreen: View {
    let items: [OutboxItem]
    let empty: String
    let checkMailbox: String
    let send: (Event) -> Void

    var body: some View {
        List {
            if items.isEmpty {
                Text(empty).foregroundStyle(.secondary)
            }
            ForEach(items, id: \.self) { item in
                OutboxRow(item: item, send: send)
                    .onTapGesture { open(item) }
                    .accessibilityAddTraits(.isButton)
            }
        }
        .listStyle(.plain)
        .refreshable { send(.checkMailbox) }
        .safeAreaInset(edge: .bottom) {
            SecondaryButton(title: checkMailbox) { send(.checkMailbox) }
                .padding()
                .background(.bar)
        }
    }

    /// The draft (no id) opens the wizard again; a report opens its replies and statuses.
    private func open(_ item: OutboxItem) {
        if item.reportId.isEmpty {
            send(.newReport)
        } else {
            send(.openReport(reportId: item.reportId))
        }
    }
}

struct OutboxRow: View {
    let item: OutboxItem
    let send: (Event) -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Image(systemName: DeliveryIcon.name(item.state))
                    .foregroundStyle(DeliveryIcon.color(item.state))
                Text(item.title).font(.body.weight(.semibold))
                Spacer()
                if item.replies > 0 {
                    Label("\(item.replies)", systemImage: "envelope.badge")
                        .font(.caption)
                }
                if item.uploadsPending > 0 {
                    Label("\(item.uploadsPending)", systemImage: "icloud.and.arrow.up")
                        .font(.caption)
                }
            }
            Text(item.stateText).font(.subheadline)
            if let detail = item.detail {
                Text(detail).font(.footnote).foregroundStyle(.secondary)
            }
            if let retry = item.retry {
                Button(retry) { send(.retryReport(reportId: item.reportId)) }
                    .buttonStyle(.bordered)
            }
        }
        .padding(.vertical, 6)
        .contentShape(Rectangle())
    }
}

/// An icon for each delivery state (the words come from the core).
enum DeliveryIcon {
    static func name(_ state: DeliveryState) -> String {
        switch state {
        case .draft: return "square.and.pencil"
        case .waiting: return "clock"
        case .sending: return "arrow.up.circle"
        case .sent: return "checkmark"
        case .delivered: return "checkmark.circle"
        case .acknowledged: return "checkmark.circle.fill"
        case .replied: return "envelope.open"
        case .failed: return "exclamationmark.triangle"
        }
    }

    static func color(_ state: DeliveryState) -> Color {
        switch state {
        case .failed: return .red
        case .waiting, .sending, .draft: return .orange
        default: return .green
        }
    }
}

/// One report: where it is, the organisations' statuses and their replies.
struct ReportScreen: View {
    let report: ReportView
    let language: String
    let send: (Event) -> Void

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 24) {
                OutboxRow(item: report.item, send: send)
                Block(report.statusesTitle) {
                    ForEach(report.statuses, id: \.self) { status in
                        Text(status)
                    }
                }
                Block(report.messagesTitle) {
                    if report.messages.isEmpty {
                        Text(report.empty).foregroundStyle(.secondary)
                    }
                    ForEach(report.messages, id: \.self) { message in
                        VStack(alignment: .leading, spacing: 4) {
                            HStack {
                                Text(message.from).font(.subheadline.weight(.semibold))
                                Spacer()
                                Text(hour(message.atHour)).font(.caption).foregroundStyle(.secondary)
                            }
                            Text(message.text)
                                .environment(\.locale, Locale(identifier: message.language))
                        }
                        .padding()
                        .frame(maxWidth: .infinity, alignment: .leading)
                        .background(RoundedRectangle(cornerRadius: 12).fill(Color(uiColor: .secondarySystemBackground)))
                    }
                }
                if let rejected = report.rejected {
                    ErrorText(text: rejected)
                }
                if let withdrawal = report.withdrawal {
                    Text(withdrawal)
                }
                if let withdraw = report.withdraw {
                    SecondaryButton(title: withdraw) { send(.withdrawReport(reportId: report.item.reportId)) }
                }
            }
            .padding()
        }
    }

    /// The reply's hour (the core rounds it), in the worker's language.
    private func hour(_ unixSeconds: UInt64) -> String {
        let date = Date(timeIntervalSince1970: TimeInterval(unixSeconds))
        return date.formatted(
            Date.FormatStyle(date: .abbreviated, time: .shortened)
                .locale(Locale(identifier: language)))
    }
}
