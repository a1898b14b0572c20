package org.workvoice.app.ui

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ColumnScope
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.selection.selectable
import androidx.compose.foundation.selection.toggleable
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.CheckCircle
import androidx.compose.material.icons.filled.Close
import androidx.compose.material.icons.filled.Warning
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.Checkbox
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.RadioButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.Role
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import org.workvoice.core.types.Choice
import org.workvoice.core.types.Notice

/** The core's notice (saved, storage failed...), above the screen until dismissed. */
@Composable
fun NoticeBanner(notice: Notice, onDismiss: () -> Unit) {
    val colors = MaterialTheme.colorScheme
    val background = if (notice.error) colors.errorContainer else colors.secondaryContainer
    val foreground = if (notice.error) colors.onErrorContainer else colors.onSecondaryContainer
    Row(
        modifier = Modifier
            .fillMaxWidth()
            .background(background)
            .padding(start = 16.dp, top = 8.dp, bottom = 8.dp, end = 4.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Icon(
            imageVector = if (notice.error) Icons.Filled.Warning else Icons.Filled.CheckCircle,
            contentDescription = null,
            tint = foreground,
        )
        Spacer(Modifier.width(12.dp))
        Text(notice.text, color = foreground, modifier = Modifier.weight(1f))
        IconButton(onClick = onDismiss) {
            Icon(Icons.Filled.Close, contentDescription = null, tint = foreground)
        }
    }
}

/** A message about a field, in the core's words. */
@Composable
fun ErrorText(text: String, modifier: Modifier = Modifier) {
    Text(
        text = text,
        color = MaterialTheme.colorScheme.error,
        style = MaterialTheme.typography.bodySmall,
        modifier = modifier.fillMaxWidth(),
    )
}

@Composable
fun PrimaryButton(text: String, onClick: () -> Unit, modifier: Modifier = Modifier, enabled: Boolean = true) {
    Button(onClick = onClick, enabled = enabled, modifier = modifier.fillMaxWidth()) {
        Text(text)
    }
}

@Composable
fun SecondaryButton(text: String, onClick: () -> Unit, modifier: Modifier = Modifier) {
    OutlinedButton(onClick = onClick, modifier = modifier.fillMaxWidth()) {
        Text(text)
    }
}

@Composable
fun DangerButton(text: String, onClick: () -> Unit, modifier: Modifier = Modifier) {
    Button(
        onClick = onClick,
        modifier = modifier.fillMaxWidth(),
        colors = ButtonDefaults.buttonColors(
            containerColor = MaterialTheme.colorScheme.error,
            contentColor = MaterialTheme.colorScheme.onError,
        ),
    ) {
        Text(text)
    }
}

/** A titled block of a screen. */
@Composable
fun Block(title: String?, content: @Composable ColumnScope.() -> Unit) {
    Column(modifier = Modifier.fillMaxWidth(), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        if (!title.isNullOrEmpty()) {
            Text(title, style = MaterialTheme.typography.titleMedium)
        }
        content()
    }
}

/** Choices of which one is taken: a language, a payee, a sector. */
@Composable
fun SingleChoiceList(choices: List<Choice>, isSelected: (Choice) -> Boolean, onChoose: (Choice) -> Unit) {
    Column(modifier = Modifier.fillMaxWidth()) {
        for (choice in choices) {
            val selected = isSelected(choice)
            Row(
                modifier = Modifier
                    .fillMaxWidth()
                    .selectable(selected = selected, onClick = { onChoose(choice) }, role = Role.RadioButton)
                    .padding(vertical = 6.dp),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                RadioButton(selected = selected, onClick = null)
                Spacer(Modifier.width(12.dp))
                Text(choice.label, modifier = Modifier.weight(1f))
            }
            HorizontalDivider()
        }
    }
}

/** Choices that are each on or off: what happened, who may read the report. */
@Composable
fun ToggleChoiceList(choices: List<Choice>, onToggle: (Choice) -> Unit) {
    Column(modifier = Modifier.fillMaxWidth()) {
        for (choice in choices) {
            Row(
                modifier = Modifier
                    .fillMaxWidth()
                    .toggleable(value = choice.selected, onValueChange = { onToggle(choice) }, role = Role.Checkbox)
                    .padding(vertical = 6.dp),
                verticalAlignment = Alignment.CenterVertically,
            ) {
                Checkbox(checked = choice.selected, onCheckedChange = null)
                Spacer(Modifier.width(12.dp))
                Text(choice.label, modifier = Modifier.weight(1f))
            }
            HorizontalDivider()
        }
    }
}

/** A PIN input: hidden, with the digit keyboard of a password field (kept out of keyboard learning). */
@Composable
fun PinField(label: String, pin: String, onPinChange: (String) -> Unit) {
    OutlinedTextField(
        value = pin,
        onValueChange = onPinChange,
        label = { Text(label) },
        singleLine = true,
        visualTransformation = PasswordVisualTransformation(),
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
        textStyle = MaterialTheme.typography.titleLarge,
        modifier = Modifier.fillMaxWidth(),
    )
}

/** A label above a value. */
@Composable
fun LabelledValue(label: String, value: String) {
    Column(modifier = Modifier.fillMaxWidth()) {
        Text(label, style = MaterialTheme.typography.labelMedium, color = MaterialTheme.colorScheme.onSurfaceVariant)
        Text(value, style = MaterialTheme.typography.bodyLarge, fontWeight = FontWeight.Medium)
    }
}

val IconSize = 20.dp

@Composable
fun SmallIcon(imageVector: androidx.compose.ui.graphics.vector.ImageVector) {
    Icon(imageVector, contentDescription = null, modifier = Modifier.size(IconSize))
}
