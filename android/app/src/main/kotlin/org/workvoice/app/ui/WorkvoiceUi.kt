package org.workvoice.app.ui

import androidx.activity.compose.BackHandler
import androidx.compose.foundation.background
import androidx.compose.foundation.clickable
import androidx.compose.foundation.interaction.MutableInteractionSource
import androidx.compose.foundation.isSystemInDarkTheme
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.imePadding
import androidx.compose.foundation.layout.padding
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Home
import androidx.compose.material.icons.filled.Warning
import androidx.compose.material.icons.automirrored.filled.ArrowBack
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.material3.darkColorScheme
import androidx.compose.material3.lightColorScheme
import androidx.compose.runtime.Composable
import androidx.compose.runtime.CompositionLocalProvider
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalLayoutDirection
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.text.style.TextOverflow
import androidx.compose.ui.unit.LayoutDirection
import androidx.compose.ui.unit.dp
import org.workvoice.core.types.Event
import org.workvoice.core.types.Screen
import org.workvoice.core.types.TextDirection as CoreTextDirection
import org.workvoice.core.types.ViewModel as CoreView

@Composable
fun WorkvoiceTheme(content: @Composable () -> Unit) {
    MaterialTheme(
        colorScheme = if (isSystemInDarkTheme()) darkColorScheme() else lightColorScheme(),
        content = content,
    )
}

/**
 * Draws the core's view model: one screen per [Screen] variant, in the worker's language and
 * text direction (`direction` sets [LocalLayoutDirection]), with the core's notice above it and
 * its busy state over it. Nothing here decides anything: every word and every state comes from
 * the core, every tap becomes an [Event].
 */
@Composable
fun WorkvoiceUi(model: CoreView?, failure: String?, send: (Event) -> Unit) {
    WorkvoiceTheme {
        when {
            failure != null -> StartFailure(failure)
            model == null -> Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) { CircularProgressIndicator() }
            else -> {
                val direction = if (model.direction == CoreTextDirection.RTL) LayoutDirection.Rtl else LayoutDirection.Ltr
                CompositionLocalProvider(LocalLayoutDirection provides direction) {
                    ScreenHost(model, send)
                }
            }
        }
    }
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
private fun ScreenHost(model: CoreView, send: (Event) -> Unit) {
    val screen = model.screen
    // Where "back" goes, on the screens that have somewhere to go back to. The view model has
    // no words for these buttons: they are icons. The wizard handles back itself.
    val back: Event? = when (screen) {
        is Screen.Review -> Event.PreviousStep
        is Screen.Outbox -> Event.GoHome
        is Screen.Report -> Event.OpenOutbox
        is Screen.Settings -> if (screen.confirmWipe) Event.CancelWipe else Event.GoHome
        else -> null
    }
    if (back != null) {
        BackHandler(enabled = !model.busy) { send(back) }
    }
    Box(Modifier.fillMaxSize()) {
        Scaffold(
            topBar = {
                TopAppBar(
                    title = { Text(model.title, maxLines = 1, overflow = TextOverflow.Ellipsis) },
                    navigationIcon = {
                        when (screen) {
                            is Screen.Outbox, is Screen.Settings -> IconButton(onClick = { send(Event.GoHome) }) {
                                Icon(Icons.Filled.Home, contentDescription = null)
                            }
                            is Screen.Report, is Screen.Review -> IconButton(onClick = { back?.let(send) }) {
                                Icon(Icons.AutoMirrored.Filled.ArrowBack, contentDescription = null)
                            }
                            else -> Unit
                        }
                    },
                )
            },
        ) { padding ->
            Column(Modifier.padding(padding).imePadding().fillMaxSize()) {
                model.notice?.let { NoticeBanner(it) { send(Event.DismissNotice) } }
                Box(Modifier.weight(1f)) { ScreenContent(model, send) }
            }
        }
        if (model.busy) {
            // Waiting for the phone (PIN check, saving): show progress and swallow taps.
            Box(
                modifier = Modifier
                    .fillMaxSize()
                    .background(Color.Black.copy(alpha = 0.2f))
                    .clickable(interactionSource = remember { MutableInteractionSource() }, indication = null) {},
                contentAlignment = Alignment.Center,
            ) {
                CircularProgressIndicator()
            }
        }
    }
}

/** The screen switch: every [Screen] variant of the core is drawn here. */
@Composable
private fun ScreenContent(model: CoreView, send: (Event) -> Unit) {
    when (val screen = model.screen) {
        is Screen.Loading -> LoadingScreen(screen)
        is Screen.Welcome -> WelcomeScreen(screen, send)
        is Screen.SetPin -> SetPinScreen(screen, send)
        is Screen.ShowRecoveryCode -> ShowRecoveryCodeScreen(screen, send)
        is Screen.EnterRecoveryCode -> EnterRecoveryCodeScreen(screen, send)
        is Screen.Recovering -> RecoveringScreen(screen, send)
        is Screen.Unlock -> UnlockScreen(screen, send)
        is Screen.Home -> HomeScreen(screen, send)
        is Screen.Compose -> ComposeScreen(screen.value, send)
        is Screen.Review -> ReviewScreen(screen.value, send)
        is Screen.Outbox -> OutboxScreen(screen, send)
        is Screen.Report -> ReportScreen(screen.value, model.language, send)
        is Screen.Settings -> SettingsScreen(screen, send)
        is Screen.Broken -> BrokenScreen(screen)
    }
}

/** The core could not start (configuration or library broken): a detail for whoever built the app. */
@Composable
private fun StartFailure(detail: String) {
    Column(
        modifier = Modifier.fillMaxSize().padding(24.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = androidx.compose.foundation.layout.Arrangement.Center,
    ) {
        Icon(Icons.Filled.Warning, contentDescription = null, tint = MaterialTheme.colorScheme.error)
        Text(detail, textAlign = TextAlign.Center, style = MaterialTheme.typography.bodySmall)
    }
}
