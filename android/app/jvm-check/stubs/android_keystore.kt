// Minimal stand-ins for the Android and AndroidX APIs the app uses, with their real signatures,
// so that android/app can be type-checked against Compose Desktop on the JVM (jvm-check/check).
package android.security.keystore
class KeyGenParameterSpec private constructor() : java.security.spec.AlgorithmParameterSpec {
    class Builder(keystoreAlias: String, purposes: Int) {
        fun setBlockModes(vararg blockModes: String): Builder = this
        fun setEncryptionPaddings(vararg paddings: String): Builder = this
        fun setKeySize(keySize: Int): Builder = this
        fun setRandomizedEncryptionRequired(required: Boolean): Builder = this
        fun setIsStrongBoxBacked(isStrongBoxBacked: Boolean): Builder = this
        fun build(): KeyGenParameterSpec = KeyGenParameterSpec()
    }
}
object KeyProperties {
    const val PURPOSE_ENCRYPT = 1; const val PURPOSE_DECRYPT = 2
    const val BLOCK_MODE_GCM = "GCM"; const val ENCRYPTION_PADDING_NONE = "NoPadding"; const val KEY_ALGORITHM_AES = "AES"
}
class StrongBoxUnavailableException : java.security.ProviderException()
