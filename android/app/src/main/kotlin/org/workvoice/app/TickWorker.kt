package org.workvoice.app

import android.content.Context
import androidx.work.CoroutineWorker
import androidx.work.WorkerParameters

/**
 * The core's wake-up while the app is in the background (queued by [CoreSession] with a network
 * constraint, for the moment the view model's `wakeInMs` asked for): one Tick, so waiting
 * reports, evidence uploads and mailbox checks go on. It shows nothing and posts no
 * notification. The app is locked in the background (the core locks at `onStop`), and so is the
 * core of a process started for this work: its courier sends what was sealed and polls the
 * mailboxes without the PIN; the rest waits for the worker to unlock.
 */
class TickWorker(context: Context, parameters: WorkerParameters) : CoroutineWorker(context, parameters) {
    override suspend fun doWork(): Result {
        val application = applicationContext as WorkvoiceApplication
        application.session.backgroundTick()
        return Result.success()
    }

    companion object {
        const val NAME = "workvoice-tick"
    }
}
