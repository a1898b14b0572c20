package org.workvoice.app.ui

import android.content.Context
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import androidx.activity.compose.BackHandler
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.horizontalScroll
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.Delete
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.FilterChip
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.workvoice.app.vaultDirectory
import org.workvoice.core.types.ActionId
import org.workvoice.core.types.Choice
import org.workvoice.core.types.ComposeView
import org.workvoice.core.types.Event
import org.workvoice.core.types.Field
import org.workvoice.core.types.InputKind
import org.workvoice.core.types.ListItem
import org.workvoice.core.types.StepChoice
import org.workvoice.shell.evidenceIntakeDirectory
import java.io.ByteArrayOutputStream
import java.io.File
import java.util.UUID

/**
 * One step of the report wizard, drawn from the core's [ComposeView]. This screen knows no
 * field of the report: it draws the inputs (`fields`), pickers and toggles (`options`), buttons
 * (`actions`) and added items (`items`) the view lists, and sends back the id each came with
 * (`Event.Input`, `Event.Pick`, `Event.Act`, `Event.RemoveItem`). The core keeps what is typed
 * (in memory only), shows it back in `value`, builds the report from it when the worker leaves
 * the step, and puts each problem next to its input. The one button the shell answers itself is
 * [ActionId.PICKEVIDENCE]: the photo picker (the shell contract in ARCHITECTURE.md).
 */
@Composable
fun ComposeScreen(compose: ComposeView, send: (Event) -> Unit) {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var askDiscard by remember { mutableStateOf(false) }

    val pickPhoto = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) {
            scope.launch {
                when (val picked = withContext(Dispatchers.IO) { pickEvidence(context, uri) }) {
                    is PickedEvidence.Copied -> send(Event.AddEvidenceFile(path = picked.path))
                    is PickedEvidence.Reencoded -> send(Event.AddEvidence(bytes = picked.bytes.toUByteList()))
                    null -> {}
                }
            }
        }
    }

    BackHandler { send(Event.PreviousStep) }

    ScreenColumn {
        StepBar(compose.steps) { send(Event.GoToStep(step = it.step)) }
        Text(compose.counter, style = MaterialTheme.typography.labelMedium)
        Text(compose.help)
        compose.errors.forEach { ErrorText(it.message) }
        for (field in compose.fields) {
            FieldInput(field) { send(Event.Input(field = field.id, value = it)) }
        }
        for (group in compose.options) {
            Block(group.label) {
                val pick = { choice: Choice -> send(Event.Pick(field = group.id, code = choice.code)) }
                if (group.multiple) {
                    ToggleChoiceList(group.choices, onToggle = pick)
                } else {
                    SingleChoiceList(choices = group.choices, isSelected = { it.selected }, onChoose = pick)
                }
                group.errors.forEach { ErrorText(it.message) }
            }
        }
        for (action in compose.actions) {
            OutlinedButton(
                onClick = {
                    if (action.id == ActionId.PICKEVIDENCE) {
                        pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                    } else {
                        send(Event.Act(action = action.id))
                    }
                },
                modifier = Modifier.fillMaxWidth(),
            ) {
                Icon(Icons.Filled.Add, contentDescription = null)
                Text(action.label, modifier = Modifier.padding(start = 8.dp))
            }
        }
        if (compose.items.isNotEmpty()) {
            Column(modifier = Modifier.fillMaxWidth()) {
                for (item in compose.items) {
                    ItemRow(item) { send(Event.RemoveItem(list = item.list, index = item.index)) }
                    HorizontalDivider()
                }
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(12.dp), modifier = Modifier.fillMaxWidth()) {
            SecondaryButton(compose.back, onClick = { send(Event.PreviousStep) }, modifier = Modifier.weight(1f))
            PrimaryButton(compose.next, onClick = { send(Event.NextStep) }, modifier = Modifier.weight(1f))
        }
        TextButton(onClick = { askDiscard = true }, modifier = Modifier.fillMaxWidth()) {
            Text(compose.discard, color = MaterialTheme.colorScheme.error)
        }
    }

    if (askDiscard) {
        AlertDialog(
            onDismissRequest = { askDiscard = false },
            text = { Text(compose.discard) },
            confirmButton = {
                TextButton(onClick = {
                    askDiscard = false
                    send(Event.DiscardDraft)
                }) { Text(compose.discard, color = MaterialTheme.colorScheme.error) }
            },
            dismissButton = {
                TextButton(onClick = { askDiscard = false }) { Text(compose.back) }
            },
        )
    }
}

@Composable
private fun StepBar(steps: List<StepChoice>, onStep: (StepChoice) -> Unit) {
    Row(
        modifier = Modifier.fillMaxWidth().horizontalScroll(rememberScrollState()),
        horizontalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        for (step in steps) {
            FilterChip(selected = step.selected, onClick = { onStep(step) }, label = { Text(step.label) })
        }
    }
}

/**
 * A text input showing what the core keeps. The text is mirrored here while the worker types,
 * so the cursor stays where it is, and follows the core when the core changes it (emptied after
 * an "add").
 */
@Composable
private fun FieldInput(field: Field, onChange: (String) -> Unit) {
    var text by remember(field.id) { mutableStateOf(field.value) }
    LaunchedEffect(field.value) { if (field.value != text) text = field.value }
    val long = field.kind == InputKind.LONGTEXT
    Column(modifier = Modifier.fillMaxWidth()) {
        OutlinedTextField(
            value = text,
            onValueChange = {
                text = it
                onChange(it)
            },
            label = { Text(field.label) },
            isError = field.errors.isNotEmpty(),
            singleLine = !long,
            minLines = if (long) 5 else 1,
            keyboardOptions = KeyboardOptions(
                keyboardType = when (field.kind) {
                    InputKind.NUMBER -> KeyboardType.Decimal
                    InputKind.DATE -> KeyboardType.Number
                    else -> KeyboardType.Text
                },
                autoCorrectEnabled = field.kind == InputKind.LONGTEXT || field.kind == InputKind.TEXT,
            ),
            modifier = Modifier.fillMaxWidth(),
        )
        field.errors.forEach { ErrorText(it.message, modifier = Modifier.padding(top = 4.dp)) }
    }
}

@Composable
private fun ItemRow(item: ListItem, onRemove: () -> Unit) {
    Row(modifier = Modifier.fillMaxWidth().padding(vertical = 4.dp), verticalAlignment = Alignment.CenterVertically) {
        Text(item.text, modifier = Modifier.weight(1f))
        IconButton(onClick = onRemove) {
            Icon(Icons.Filled.Delete, contentDescription = null, tint = MaterialTheme.colorScheme.error)
        }
    }
}

/**
 * The chosen photo's bytes. The core takes JPEG and PNG (and strips their metadata itself, and
 * refuses what is too large with its own message); anything else (HEIF, WebP) is re-encoded as
 * JPEG first, which also drops its metadata. At most [READ_LIMIT] bytes are read into memory.
 */
/** A picked photo, as the core takes it. */
private sealed interface PickedEvidence {
    /** A JPEG or PNG copied as it is into the intake directory; the core reads and deletes it. */
    data class Copied(val path: String) : PickedEvidence

    /** Another image type, re-encoded as JPEG in memory (it has to be decoded whole anyway). */
    class Reencoded(val bytes: ByteArray) : PickedEvidence
}

/**
 * JPEG and PNG are streamed into a private copy, 64 KiB at a time, and never held whole: the
 * core strips and seals the copy a piece at a time (the shell contract in ARCHITECTURE.md).
 * Other types (HEIC, WebP) are re-encoded as JPEG.
 */
private fun pickEvidence(context: Context, uri: Uri): PickedEvidence? {
    val head = context.contentResolver.openInputStream(uri)?.use { input ->
        val bytes = ByteArray(4)
        var n = 0
        while (n < bytes.size) {
            val read = input.read(bytes, n, bytes.size - n)
            if (read < 0) break
            n += read
        }
        bytes.copyOf(n)
    } ?: return null
    val isJpeg = head.size > 3 && head[0] == 0xFF.toByte() && head[1] == 0xD8.toByte() && head[2] == 0xFF.toByte()
    val isPng = head.size > 3 && head[0] == 0x89.toByte() && head[1] == 0x50.toByte() &&
        head[2] == 0x4E.toByte() && head[3] == 0x47.toByte()
    if (!isJpeg && !isPng) return readEvidence(context, uri)?.let { PickedEvidence.Reencoded(it) }
    val dir = evidenceIntakeDirectory(vaultDirectory(context))
    val copy = File(dir, UUID.randomUUID().toString())
    context.contentResolver.openInputStream(uri)?.use { input ->
        copy.outputStream().use { output ->
            val buffer = ByteArray(64 * 1024)
            var total = 0L
            // One byte past the limit is enough for the core to refuse the file as too large.
            while (total <= READ_LIMIT) {
                val read = input.read(buffer)
                if (read < 0) break
                output.write(buffer, 0, read)
                total += read
            }
        }
    } ?: return null
    return PickedEvidence.Copied(copy.absolutePath)
}

private fun readEvidence(context: Context, uri: Uri): ByteArray? {
    val bytes = context.contentResolver.openInputStream(uri)?.use { input ->
        val out = ByteArrayOutputStream()
        val buffer = ByteArray(64 * 1024)
        while (out.size() <= READ_LIMIT) {
            val read = input.read(buffer)
            if (read < 0) break
            out.write(buffer, 0, read)
        }
        out.toByteArray()
    } ?: return null
    val isJpeg = bytes.size > 3 && bytes[0] == 0xFF.toByte() && bytes[1] == 0xD8.toByte() && bytes[2] == 0xFF.toByte()
    val isPng = bytes.size > 4 && bytes[0] == 0x89.toByte() && bytes[1] == 0x50.toByte() &&
        bytes[2] == 0x4E.toByte() && bytes[3] == 0x47.toByte()
    if (isJpeg || isPng || bytes.size > READ_LIMIT) return bytes
    val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
    BitmapFactory.decodeByteArray(bytes, 0, bytes.size, bounds)
    var sample = 1
    while (maxOf(bounds.outWidth, bounds.outHeight) / sample > MAX_REENCODED_SIDE) sample *= 2
    val bitmap = BitmapFactory.decodeByteArray(bytes, 0, bytes.size, BitmapFactory.Options().apply { inSampleSize = sample })
        ?: return bytes
    return ByteArrayOutputStream().use { out ->
        bitmap.compress(Bitmap.CompressFormat.JPEG, 85, out)
        bitmap.recycle()
        out.toByteArray()
    }
}

/** More than any photo the core accepts; bounds the memory a huge file could take. */
private const val READ_LIMIT = 32 * 1024 * 1024

/** Longest side of a photo decoded for re-encoding, so that a cheap phone does not run out of memory. */
private const val MAX_REENCODED_SIDE = 4096

/** The generated `Event.AddEvidence` takes `List<UByte>`: a view over the bytes, not a copy. */
@OptIn(ExperimentalUnsignedTypes::class)
private fun ByteArray.toUByteList(): List<UByte> = asUByteArray().asList()
