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
import androidx.compose.runtime.mutableStateMapOf
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
import org.workvoice.core.types.Choice
import org.workvoice.core.types.ComposeView
import org.workvoice.core.types.Event
import org.workvoice.core.types.Field
import org.workvoice.core.types.FieldMessage
import org.workvoice.core.types.ListItem
import org.workvoice.core.types.OptionGroup
import org.workvoice.shell.evidenceIntakeDirectory
import java.io.ByteArrayOutputStream
import java.io.File
import java.util.UUID

/**
 * One step of the report wizard, drawn from the core's [ComposeView]: its text inputs
 * (`fields`, whose `name` is the event field they go to), its pickers and toggles (`options`),
 * what was already added (`items`), its buttons (`actions`) and the core's message for each
 * field that is wrong (`errors`).
 *
 * What the worker types stays here until she leaves the step; it then goes to the core
 * (`SetRecruiter`, `SetPlace`...) just before `NextStep`, `PreviousStep` or `GoToStep`, and the
 * core saves the draft and says what is wrong. Toggles go to the core at once.
 */
@Composable
fun ComposeScreen(compose: ComposeView, send: (Event) -> Unit) {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    // Kept in memory only (never in saved instance state): this is the worker's report.
    val inputs = remember(compose.step) {
        mutableStateMapOf<String, String>().apply { compose.fields.forEach { put(it.name, it.value) } }
    }
    val picks = remember(compose.step) {
        mutableStateMapOf<String, String>().apply {
            compose.options.filterNot { isToggleGroup(it.name) }.forEach { group ->
                group.choices.firstOrNull { it.selected }?.let { put(group.name, it.code) }
            }
        }
    }
    var edited by remember(compose.step) { mutableStateOf(false) }
    // Typing counts as activity for the core's idle lock; told at most every 10 seconds.
    var typingToldAt by remember { mutableStateOf(0L) }
    var itemCount by remember(compose.step) { mutableStateOf(compose.items.size) }
    var askDiscard by remember { mutableStateOf(false) }

    // After a payment, deduction or loan was added, empty the inputs it was typed in.
    LaunchedEffect(compose.items.size) {
        if (compose.items.size > itemCount) {
            inputs.keys.filter { isAddInput(it) }.forEach { inputs[it] = "" }
            picks.keys.filter { isAddInput(it) }.forEach { picks.remove(it) }
        }
        itemCount = compose.items.size
    }

    fun value(name: String) = inputs[name].orEmpty()

    fun commitEvents(): List<Event> {
        if (!edited) return emptyList()
        val names = compose.fields.map { it.name }.toSet()
        return buildList {
            if ("recruiter.name" in names) {
                add(Event.SetRecruiter(name = value("recruiter.name"), licenceNumber = value("recruiter.licence_number"), country = value("recruiter.country")))
            }
            if ("employer.name" in names) {
                add(Event.SetEmployer(name = value("employer.name"), licenceNumber = value("employer.licence_number"), country = value("employer.country")))
            }
            if ("destination_country" in names) {
                add(Event.SetPlace(destinationCountry = value("destination_country"), originCountry = value("origin_country"), sector = picks["sector"].orEmpty()))
            }
            if ("job.promised.title" in names) {
                add(
                    Event.SetJob(
                        promisedTitle = value("job.promised.title"),
                        promisedWage = value("job.promised.wage"),
                        promisedCurrency = value("job.promised.currency"),
                        actualTitle = value("job.actual.title"),
                        promisedEmployer = value("job.promised.employer"),
                    ),
                )
            }
            if ("wage.amount" in names) {
                add(Event.SetWage(amount = value("wage.amount"), currency = value("wage.currency"), contractSubstituted = yesNo(picks["contract_substituted"])))
            }
            if ("story.text" in names) {
                add(Event.SetStory(text = value("story.text"), language = value("story.language")))
            }
        }
    }

    fun leave(event: Event) {
        commitEvents().forEach(send)
        edited = false
        send(event)
    }

    fun perform(action: String) {
        when (action) {
            "add_fee" -> send(
                Event.AddFee(
                    amount = value("fee.amount"),
                    currency = value("fee.currency"),
                    payee = picks["fee.payee"].orEmpty(),
                    stage = picks["fee.stage"].orEmpty(),
                    category = picks["fee.category"].orEmpty(),
                    paidOn = value("fee.paid_on"),
                    receipt = yesNo(picks["fee.receipt"]),
                ),
            )
            // The deduction takes the amount typed above unless the step has inputs of its own.
            "add_deduction" -> send(
                Event.AddDeduction(
                    amount = inputs["deduction.amount"] ?: value("fee.amount"),
                    currency = inputs["deduction.currency"] ?: value("fee.currency"),
                    reason = picks["deduction.reason"].orEmpty(),
                    monthly = picks["deduction.monthly"] == "yes",
                ),
            )
            "add_loan" -> send(
                Event.AddLoan(
                    amount = value("loan.amount"),
                    currency = value("loan.currency"),
                    lender = picks["loan.lender"].orEmpty(),
                    interest = value("loan.interest"),
                ),
            )
        }
    }

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

    BackHandler { leave(Event.PreviousStep) }

    val inputNames = compose.fields.map { it.name }.toSet() + compose.options.map { it.name }
    ScreenColumn {
        StepBar(compose.steps) { leave(Event.GoToStep(step = it.code)) }
        Text(compose.counter, style = MaterialTheme.typography.labelMedium)
        Text(compose.help)
        compose.errors.filterNot { it.field in inputNames }.forEach { ErrorText(it.message) }
        for (field in compose.fields) {
            FieldInput(field, value(field.name), compose.errors.forField(field.name)) {
                inputs[field.name] = it
                edited = true
                val now = System.currentTimeMillis()
                if (now - typingToldAt >= 10_000L) {
                    typingToldAt = now
                    send(Event.Typing)
                }
            }
        }
        for (group in compose.options) {
            Block(group.label) {
                if (isToggleGroup(group.name)) {
                    ToggleChoiceList(group.choices) { toggle(it, group, send) }
                } else {
                    SingleChoiceList(
                        choices = group.choices,
                        isSelected = { picks[group.name] == it.code },
                        onChoose = {
                            picks[group.name] = it.code
                            edited = true
                        },
                    )
                }
                compose.errors.forField(group.name).forEach { ErrorText(it.message) }
            }
        }
        for (action in compose.actions) {
            OutlinedButton(
                onClick = {
                    if (action.code == "add_evidence") {
                        pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                    } else {
                        perform(action.code)
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
                    ItemRow(item) { remove(item, send) }
                    HorizontalDivider()
                }
            }
        }
        Row(horizontalArrangement = Arrangement.spacedBy(12.dp), modifier = Modifier.fillMaxWidth()) {
            SecondaryButton(compose.back, onClick = { leave(Event.PreviousStep) }, modifier = Modifier.weight(1f))
            PrimaryButton(compose.next, onClick = { leave(Event.NextStep) }, modifier = Modifier.weight(1f))
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

/** Groups whose choices are each on or off; the others pick one choice. */
private fun isToggleGroup(name: String) = name == "indicators" || name == "consent"

/** "yes" / "no" / "dont_know" of a yes-no picker. */
private fun yesNo(code: String?): Boolean? = when (code) {
    "yes" -> true
    "no" -> false
    else -> null
}

private fun List<FieldMessage>.forField(name: String) = filter { it.field == name }

private fun toggle(choice: Choice, group: OptionGroup, send: (Event) -> Unit) {
    when (group.name) {
        "indicators" -> send(Event.SetIndicator(indicator = choice.code, present = !choice.selected))
        "consent" -> {
            fun flag(code: String): Boolean {
                val current = group.choices.firstOrNull { it.code == code }?.selected ?: false
                return if (code == choice.code) !current else current
            }
            send(
                Event.SetConsent(
                    union = flag("union"),
                    inspectorate = flag("inspectorate"),
                    ngo = flag("ngo"),
                    contactWanted = flag("contact_wanted"),
                ),
            )
        }
    }
}

/** Inputs that take a number (amounts, a wage, an interest). */
private fun isNumberInput(name: String) =
    name.endsWith(".amount") || name.endsWith(".wage") || name.endsWith(".interest")

/** Inputs of the "add" forms (a payment, a deduction, a loan), emptied once the item is added. */
private fun isAddInput(name: String) =
    name.startsWith("fee.") || name.startsWith("deduction.") || name.startsWith("loan.")

private fun remove(item: ListItem, send: (Event) -> Unit) {
    when (item.group) {
        "fees" -> send(Event.RemoveFee(index = item.index))
        "deductions" -> send(Event.RemoveDeduction(index = item.index))
        "loans" -> send(Event.RemoveLoan(index = item.index))
        "evidence" -> send(Event.RemoveEvidence(index = item.index))
    }
}

@Composable
private fun StepBar(steps: List<Choice>, onStep: (Choice) -> Unit) {
    Row(
        modifier = Modifier.fillMaxWidth().horizontalScroll(rememberScrollState()),
        horizontalArrangement = Arrangement.spacedBy(8.dp),
    ) {
        for (step in steps) {
            FilterChip(selected = step.selected, onClick = { onStep(step) }, label = { Text(step.label) })
        }
    }
}

@Composable
private fun FieldInput(field: Field, value: String, errors: List<FieldMessage>, onChange: (String) -> Unit) {
    val story = field.name == "story.text"
    Column(modifier = Modifier.fillMaxWidth()) {
        OutlinedTextField(
            value = value,
            onValueChange = onChange,
            label = { Text(field.label) },
            isError = errors.isNotEmpty(),
            singleLine = !story,
            minLines = if (story) 5 else 1,
            keyboardOptions = KeyboardOptions(
                keyboardType = if (isNumberInput(field.name)) KeyboardType.Decimal else KeyboardType.Text,
                autoCorrectEnabled = story,
            ),
            modifier = Modifier.fillMaxWidth(),
        )
        errors.forEach { ErrorText(it.message, modifier = Modifier.padding(top = 4.dp)) }
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
