fn main() -> std::process::ExitCode {
    workvoice_relay::cli::main()
}
