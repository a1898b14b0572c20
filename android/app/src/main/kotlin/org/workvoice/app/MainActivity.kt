package org.workvoice.app

import android.os.Build
import android.os.Bundle
import android.view.WindowManager
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.compose.runtime.getValue
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.workvoice.app.ui.WorkvoiceUi

/**
 * The one screen of the app: it draws the core's view model. The window is secure: no
 * screenshots, no screen recording, no thumbnail in the recent apps.
 */
class MainActivity : ComponentActivity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
            setRecentsScreenshotEnabled(false)
        }
        super.onCreate(savedInstanceState)
        enableEdgeToEdge()
        val session = (application as WorkvoiceApplication).session
        setContent {
            val model by session.view.collectAsStateWithLifecycle()
            val failure by session.failure.collectAsStateWithLifecycle()
            WorkvoiceUi(model = model, failure = failure, send = session::send)
        }
    }
}
