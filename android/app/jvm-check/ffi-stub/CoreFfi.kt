package org.workvoice.core.ffi

// Used only when bindings/kotlin/uniffi is not there yet: the shape uniffi 0.32 generates for
// shared/src/ffi.rs (Vec<u8> -> ByteArray, u32 -> UInt, an AutoCloseable object).
open class CoreFfi(config: ByteArray) : AutoCloseable {
    fun start(): ByteArray = TODO()
    fun update(event: ByteArray): ByteArray = TODO()
    fun resolve(id: UInt, output: ByteArray): ByteArray = TODO()
    fun view(): ByteArray = TODO()
    override fun close() {}
}
