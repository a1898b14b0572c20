package org.workvoice.app

import android.app.Application
import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import androidx.lifecycle.DefaultLifecycleObserver
import androidx.lifecycle.LifecycleOwner
import androidx.lifecycle.ProcessLifecycleOwner

/**
 * Holds the process's one [CoreSession] and tells it when the app comes to the foreground, leaves
 * it, and when the network comes back. The core starts with the process; it stays locked until
 * the worker types her PIN.
 */
class WorkvoiceApplication : Application() {
    lateinit var session: CoreSession
        private set

    override fun onCreate() {
        super.onCreate()
        session = CoreSession(this).also { it.start() }

        ProcessLifecycleOwner.get().lifecycle.addObserver(
            object : DefaultLifecycleObserver {
                override fun onStart(owner: LifecycleOwner) = session.wake()

                override fun onStop(owner: LifecycleOwner) = session.enteredBackground()
            },
        )

        val connectivity = getSystemService(Context.CONNECTIVITY_SERVICE) as ConnectivityManager
        connectivity.registerDefaultNetworkCallback(
            object : ConnectivityManager.NetworkCallback() {
                override fun onAvailable(network: Network) = session.wake()
            },
        )
    }
}
