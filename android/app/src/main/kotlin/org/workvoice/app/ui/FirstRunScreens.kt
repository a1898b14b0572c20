package org.workvoice.app.ui

import androidx.compose.foundation.BorderStroke
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Card
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalLayoutDirection
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.LayoutDirection
import androidx.compose.ui.unit.dp
import org.workvoice.core.types.Event
import org.workvoice.core.types.Screen

/** A scrolling column with the screens' usual padding and spacing. */
@Composable
fun ScreenColumn(content: @Composable androidx.compose.foundation.layout.ColumnScope.() -> Unit) {
    Column(
        modifier = Modifier
            .fillMaxSize()
            .verticalScroll(rememberScrollState())
            .padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp),
        content = content,
    )
}

@Composable
fun LoadingScreen(screen: Screen.Loading) {
    Column(
        modifier = Modifier.fillMaxSize().padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(16.dp, Alignment.CenterVertically),
        horizontalAlignment = Alignment.CenterHorizontally,
    ) {
        CircularProgressIndicator()
        Text(screen.text, textAlign = TextAlign.Center)
    }
}

@Composable
fun BrokenScreen(screen: Screen.Broken) {
    Box(modifier = Modifier.fillMaxSize().padding(16.dp), contentAlignment = Alignment.Center) {
        Text(screen.text, textAlign = TextAlign.Center, color = MaterialTheme.colorScheme.error)
    }
}

/** First run: the language, then set up or recover. */
@Composable
fun WelcomeScreen(screen: Screen.Welcome, send: (Event) -> Unit) {
    ScreenColumn {
        Text(screen.intro)
        Block(screen.chooseLanguage) {
            SingleChoiceList(
                choices = screen.languages,
                isSelected = { it.selected },
                onChoose = { send(Event.ChooseLanguage(language = it.code)) },
            )
        }
        PrimaryButton(screen.start, onClick = { send(Event.StartSetup) })
        SecondaryButton(screen.recover, onClick = { send(Event.StartRecovery) })
    }
}

/** The PIN, its confirmation and the optional duress PIN; cleared here once sent to the core. */
@Composable
fun SetPinScreen(screen: Screen.SetPin, send: (Event) -> Unit) {
    var pin by remember { mutableStateOf("") }
    var confirm by remember { mutableStateOf("") }
    var duress by remember { mutableStateOf("") }
    ScreenColumn {
        Text(screen.intro)
        PinField(screen.pinLabel, pin) { pin = it }
        PinField(screen.confirmLabel, confirm) { confirm = it }
        PinField(screen.duressLabel, duress) { duress = it }
        Text(screen.duressHelp, style = MaterialTheme.typography.bodySmall)
        screen.error?.let { ErrorText(it) }
        PrimaryButton(
            screen.submit,
            onClick = {
                send(Event.SubmitNewPin(pin = pin, confirm = confirm, duressPin = duress.ifEmpty { null }))
                pin = ""
                confirm = ""
                duress = ""
            },
        )
    }
}

/** The recovery code, shown once to be written on paper; not selectable (the clipboard leaks). */
@Composable
fun ShowRecoveryCodeScreen(screen: Screen.ShowRecoveryCode, send: (Event) -> Unit) {
    ScreenColumn {
        Text(screen.intro)
        OutlinedCard(modifier = Modifier.fillMaxWidth(), border = BorderStroke(1.dp, MaterialTheme.colorScheme.outline)) {
            CompositionLocalProvider(LocalLayoutDirection provides LayoutDirection.Ltr) {
                Text(
                    text = screen.code,
                    fontFamily = FontFamily.Monospace,
                    style = MaterialTheme.typography.headlineSmall,
                    textAlign = TextAlign.Center,
                    modifier = Modifier.fillMaxWidth().padding(16.dp),
                )
            }
        }
        PrimaryButton(screen.done, onClick = { send(Event.RecoveryCodeWritten) })
    }
}

/** A new phone: the recovery code written down on the old one. */
@Composable
fun EnterRecoveryCodeScreen(screen: Screen.EnterRecoveryCode, send: (Event) -> Unit) {
    var code by remember { mutableStateOf("") }
    ScreenColumn {
        Text(screen.intro)
        CompositionLocalProvider(LocalLayoutDirection provides LayoutDirection.Ltr) {
            OutlinedTextField(
                value = code,
                onValueChange = { code = it },
                label = { Text(screen.codeLabel) },
                textStyle = MaterialTheme.typography.bodyLarge.copy(fontFamily = FontFamily.Monospace),
                keyboardOptions = KeyboardOptions(
                    capitalization = KeyboardCapitalization.Characters,
                    autoCorrectEnabled = false,
                    keyboardType = KeyboardType.Password,
                ),
                modifier = Modifier.fillMaxWidth(),
            )
        }
        screen.error?.let { ErrorText(it) }
        PrimaryButton(screen.submit, onClick = { send(Event.SubmitRecoveryCode(code = code)) })
    }
}

/** Looking for this recovery code's reports on the relay. */
@Composable
fun RecoveringScreen(screen: Screen.Recovering, send: (Event) -> Unit) {
    Column(
        modifier = Modifier.fillMaxSize().padding(16.dp),
        verticalArrangement = Arrangement.spacedBy(24.dp, Alignment.CenterVertically),
        horizontalAlignment = Alignment.CenterHorizontally,
    ) {
        CircularProgressIndicator()
        Text(screen.text, textAlign = TextAlign.Center)
        SecondaryButton(screen.retry, onClick = { send(Event.Tick) })
    }
}

/** The lock screen, with the attempts left before the app wipes itself. */
@Composable
fun UnlockScreen(screen: Screen.Unlock, send: (Event) -> Unit) {
    var pin by remember { mutableStateOf("") }
    ScreenColumn {
        PinField(screen.pinLabel, pin) { pin = it }
        Text(
            screen.attemptsText,
            style = MaterialTheme.typography.bodySmall,
            color = if (screen.attemptsLeft <= 3u) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurfaceVariant,
        )
        screen.error?.let { ErrorText(it) }
        PrimaryButton(
            screen.submit,
            enabled = pin.isNotEmpty(),
            onClick = {
                send(Event.Unlock(pin = pin))
                pin = ""
            },
        )
    }
}

@Composable
fun HomeScreen(screen: Screen.Home, send: (Event) -> Unit) {
    ScreenColumn {
        PrimaryButton(screen.newReport, onClick = { send(Event.NewReport) })
        Card(onClick = { send(Event.OpenOutbox) }, modifier = Modifier.fillMaxWidth()) {
            Column(modifier = Modifier.padding(16.dp)) {
                Text(screen.outbox, style = MaterialTheme.typography.titleMedium)
                Text(screen.outboxSummary, style = MaterialTheme.typography.bodyMedium)
            }
        }
        SecondaryButton(screen.settings, onClick = { send(Event.OpenSettings) })
        SecondaryButton(screen.lock, onClick = { send(Event.Lock) })
    }
}

@Composable
fun SettingsScreen(screen: Screen.Settings, send: (Event) -> Unit) {
    ScreenColumn {
        Block(screen.languageLabel) {
            SingleChoiceList(
                choices = screen.languages,
                isSelected = { it.selected },
                onChoose = { send(Event.SetLanguage(language = it.code)) },
            )
        }
        Block(screen.autoLockLabel) {
            SingleChoiceList(
                choices = screen.autoLock,
                isSelected = { it.selected },
                onChoose = { choice -> choice.code.toUIntOrNull()?.let { send(Event.SetAutoLock(seconds = it)) } },
            )
        }
        Block(screen.evidenceLabel) {
            Text(screen.evidenceHelp)
            SingleChoiceList(
                choices = screen.evidenceChoices,
                isSelected = { it.selected },
                onChoose = { send(Event.SetKeepSentEvidence(keep = it.code == "keep")) },
            )
        }
        Block(screen.routeLabel) {
            Text(screen.routeHelp)
            SingleChoiceList(
                choices = screen.routeChoices,
                isSelected = { it.selected },
                onChoose = { send(Event.SetSendDirectly(sendDirectly = it.code == "direct")) },
            )
        }
        Block(screen.ohttpRelayLabel) {
            Text(screen.ohttpRelayHelp)
            var relay by remember(screen.ohttpRelay) { mutableStateOf(screen.ohttpRelay) }
            CompositionLocalProvider(LocalLayoutDirection provides LayoutDirection.Ltr) {
                OutlinedTextField(
                    value = relay,
                    onValueChange = { relay = it },
                    singleLine = true,
                    isError = screen.ohttpRelayError != null,
                    keyboardOptions = KeyboardOptions(
                        autoCorrectEnabled = false,
                        keyboardType = KeyboardType.Uri,
                    ),
                    modifier = Modifier.fillMaxWidth(),
                )
            }
            screen.ohttpRelayError?.let { ErrorText(it) }
            SecondaryButton(screen.ohttpRelaySave, onClick = { send(Event.SetOhttpRelay(url = relay)) })
        }
        Block(screen.escrowInviteLabel) {
            Text(screen.escrowInviteHelp)
            // The code kept is shown masked by the core; the field starts empty each time.
            screen.escrowInviteKept?.let { Text(it) }
            var invite by remember(screen.escrowInviteKept) { mutableStateOf("") }
            CompositionLocalProvider(LocalLayoutDirection provides LayoutDirection.Ltr) {
                OutlinedTextField(
                    value = invite,
                    onValueChange = { invite = it },
                    singleLine = true,
                    isError = screen.escrowInviteError != null,
                    keyboardOptions = KeyboardOptions(
                        autoCorrectEnabled = false,
                        keyboardType = KeyboardType.Ascii,
                    ),
                    modifier = Modifier.fillMaxWidth(),
                )
            }
            screen.escrowInviteError?.let { ErrorText(it) }
            SecondaryButton(screen.escrowInviteSave, onClick = { send(Event.SetEscrowInvite(code = invite)) })
        }
        if (screen.confirmWipe) {
            Text(screen.wipeWarning, color = MaterialTheme.colorScheme.error)
            DangerButton(screen.confirm, onClick = { send(Event.ConfirmWipe) })
            SecondaryButton(screen.cancel, onClick = { send(Event.CancelWipe) })
        } else {
            SecondaryButton(screen.wipe, onClick = { send(Event.AskWipe) })
        }
    }
}
