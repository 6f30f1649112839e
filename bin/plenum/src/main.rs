fn main() -> std::process::ExitCode {
    plenum::cli::main()
}
