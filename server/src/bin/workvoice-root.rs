fn main() -> std::process::ExitCode {
    workvoice_relay::root_tool::main()
}
