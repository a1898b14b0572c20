// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package android.net
abstract class Uri
class Network
class ConnectivityManager {
    open class NetworkCallback { open fun onAvailable(network: Network) {} }
    fun registerDefaultNetworkCallback(networkCallback: NetworkCallback) {}
}
