fn main() -> std::process::ExitCode {
    workvoice_relay::ohttp_relay::main_entry()
}
