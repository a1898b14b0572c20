// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package org.workvoice.app
object BuildConfig { const val RELAY_URL: String = "https://relay.example.org" }
