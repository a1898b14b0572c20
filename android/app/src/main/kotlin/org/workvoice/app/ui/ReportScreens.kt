package org.workvoice.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.PaddingValues
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.automirrored.filled.Send
import androidx.compose.material.icons.filled.CheckCircle
import androidx.compose.material.icons.filled.Edit
import androidx.compose.material.icons.filled.Email
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material.icons.filled.Warning
import androidx.compose.material3.Card
import androidx.compose.material3.CardDefaults
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import org.workvoice.core.types.DeliveryState
import org.workvoice.core.types.Event
import org.workvoice.core.types.MessageView
import org.workvoice.core.types.OutboxItem
import org.workvoice.core.types.RecipientView
import org.workvoice.core.types.ReportView
import org.workvoice.core.types.ReviewView
import org.workvoice.core.types.Screen
import java.text.DateFormat
import java.util.Date
import java.util.Locale

/**
 * Review and consent: exactly what the relay will see, who will receive the report and why, who
 * is left out for lack of consent, and any organisation whose key the phone does not trust.
 */
@Composable
fun ReviewScreen(review: ReviewView, send: (Event) -> Unit) {
    ScreenColumn {
        Text(review.intro)
        Card(modifier = Modifier.fillMaxWidth()) {
            Column(modifier = Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                review.disclosed.forEach { LabelledValue(it.label, it.value) }
            }
        }
        Block(review.recipientsTitle) {
            review.recipients.forEach { RecipientRow(it) }
        }
        if (review.withheld.isNotEmpty()) {
            Block(review.withheldTitle) {
                review.withheld.forEach { RecipientRow(it) }
            }
        }
        review.note?.let { Text(it, color = MaterialTheme.colorScheme.tertiary) }
        Column(verticalArrangement = Arrangement.spacedBy(4.dp)) {
            review.summary.forEach { Text(it, style = MaterialTheme.typography.bodyMedium) }
        }
        PrimaryButton(review.send, enabled = review.canSend, onClick = { send(Event.SendReport) })
        // Back to the last step, where consent is chosen.
        SecondaryButton(review.edit, onClick = { send(Event.PreviousStep) })
    }
}

@Composable
private fun RecipientRow(recipient: RecipientView) {
    Column(modifier = Modifier.fillMaxWidth().padding(vertical = 4.dp)) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Text(recipient.name, fontWeight = FontWeight.SemiBold)
            Spacer(Modifier.width(8.dp))
            Text(recipient.kind, style = MaterialTheme.typography.labelMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
        }
        Text(recipient.reason, style = MaterialTheme.typography.bodyMedium)
        recipient.problem?.let { ErrorText(it) }
    }
}

/** The outbox: the draft and every report, newest first, with where each one is. */
@Composable
fun OutboxScreen(screen: Screen.Outbox, send: (Event) -> Unit) {
    Column(modifier = Modifier.fillMaxSize()) {
        LazyColumn(
            modifier = Modifier.weight(1f).fillMaxWidth(),
            contentPadding = PaddingValues(16.dp),
            verticalArrangement = Arrangement.spacedBy(8.dp),
        ) {
            if (screen.items.isEmpty()) {
                item { Text(screen.empty, color = MaterialTheme.colorScheme.onSurfaceVariant) }
            }
            items(screen.items, key = { it.reportId.ifEmpty { "draft" } }) { item ->
                Card(modifier = Modifier.fillMaxWidth()) {
                    OutboxRow(
                        item = item,
                        send = send,
                        modifier = Modifier.clickable(role = Role.Button) {
                            // The draft (no id) opens the wizard again; a report opens its replies.
                            if (item.reportId.isEmpty()) send(Event.NewReport) else send(Event.OpenReport(reportId = item.reportId))
                        },
                    )
                }
            }
        }
        HorizontalDivider()
        OutlinedButton(
            onClick = { send(Event.CheckMailbox) },
            modifier = Modifier.fillMaxWidth().padding(16.dp),
        ) {
            Icon(Icons.Filled.Refresh, contentDescription = null)
            Text(screen.checkMailbox, modifier = Modifier.padding(start = 8.dp))
        }
    }
}

@Composable
fun OutboxRow(item: OutboxItem, send: (Event) -> Unit, modifier: Modifier = Modifier) {
    Column(modifier = modifier.fillMaxWidth().padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
        Row(verticalAlignment = Alignment.CenterVertically) {
            Icon(stateIcon(item.state), contentDescription = null, tint = stateColor(item.state))
            Spacer(Modifier.width(8.dp))
            Text(item.title, fontWeight = FontWeight.SemiBold, modifier = Modifier.weight(1f))
            if (item.replies > 0u) {
                Icon(Icons.Filled.Email, contentDescription = null, modifier = Modifier.padding(start = 8.dp))
                Text(item.replies.toString(), style = MaterialTheme.typography.labelMedium)
            }
            if (item.uploadsPending > 0u) {
                Icon(Icons.AutoMirrored.Filled.Send, contentDescription = null, modifier = Modifier.padding(start = 8.dp))
                Text(item.uploadsPending.toString(), style = MaterialTheme.typography.labelMedium)
            }
        }
        Text(item.stateText, style = MaterialTheme.typography.bodyMedium)
        item.detail?.let { Text(it, style = MaterialTheme.typography.bodySmall, color = MaterialTheme.colorScheme.onSurfaceVariant) }
        item.retry?.let { retry ->
            OutlinedButton(onClick = { send(Event.RetryReport(reportId = item.reportId)) }) { Text(retry) }
        }
    }
}

/** An icon for each delivery state; the words come from the core. */
private fun stateIcon(state: DeliveryState): ImageVector = when (state) {
    DeliveryState.DRAFT -> Icons.Filled.Edit
    DeliveryState.WAITING, DeliveryState.SENDING -> Icons.Filled.Refresh
    DeliveryState.SENT, DeliveryState.DELIVERED, DeliveryState.ACKNOWLEDGED -> Icons.Filled.CheckCircle
    DeliveryState.REPLIED -> Icons.Filled.Email
    DeliveryState.FAILED -> Icons.Filled.Warning
}

@Composable
private fun stateColor(state: DeliveryState): Color = when (state) {
    DeliveryState.FAILED -> MaterialTheme.colorScheme.error
    DeliveryState.DRAFT, DeliveryState.WAITING, DeliveryState.SENDING -> MaterialTheme.colorScheme.tertiary
    else -> MaterialTheme.colorScheme.primary
}

/** One report: where it is, the organisations' statuses and their replies. */
@Composable
fun ReportScreen(report: ReportView, language: String, send: (Event) -> Unit) {
    ScreenColumn {
        Card(modifier = Modifier.fillMaxWidth()) { OutboxRow(report.item, send) }
        Block(report.statusesTitle) {
            report.statuses.forEach { Text(it) }
        }
        Block(report.messagesTitle) {
            if (report.messages.isEmpty()) {
                Text(report.empty, color = MaterialTheme.colorScheme.onSurfaceVariant)
            }
            report.messages.forEach { MessageCard(it, language) }
        }
        report.rejected?.let { ErrorText(it) }
        report.withdrawal?.let { Text(it) }
        report.withdraw?.let { label ->
            OutlinedButton(onClick = { send(Event.WithdrawReport(reportId = report.item.reportId)) }) { Text(label) }
        }
    }
}

@Composable
private fun MessageCard(message: MessageView, language: String) {
    Card(
        modifier = Modifier.fillMaxWidth(),
        colors = CardDefaults.cardColors(containerColor = MaterialTheme.colorScheme.surfaceVariant),
    ) {
        Column(modifier = Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(4.dp)) {
            Row {
                Text(message.from, fontWeight = FontWeight.SemiBold, modifier = Modifier.weight(1f))
                Text(hour(message.atHour, language), style = MaterialTheme.typography.labelSmall)
            }
            Text(message.text)
        }
    }
}

/** The reply's hour (the core rounds it to the hour), in the worker's language. */
private fun hour(unixSeconds: ULong, language: String): String =
    DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT, Locale.forLanguageTag(language))
        .format(Date(unixSeconds.toLong() * 1000))
