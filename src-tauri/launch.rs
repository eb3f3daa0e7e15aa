//! Launch options from the command line and the environment.

/// The start-up options of this run.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// Run against the embedded emulator and its sample videos instead of a real account.
    pub demo: bool,
    /// Log at debug level.
    pub verbose: bool,
}

impl LaunchOptions {
    /// Reads `--demo` and `--verbose` from the arguments, and `OFFSTREAM_DEMO=1` from the
    /// environment. Unknown arguments are left to the platform (for example the ones a
    /// WebDriver passes) and ignored here.
    pub fn from_env_and_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let env_demo = std::env::var("OFFSTREAM_DEMO").is_ok_and(|v| v == "1" || v == "true");
        Self {
            demo: env_demo || args.iter().any(|a| a == "--demo"),
            verbose: args.iter().any(|a| a == "--verbose"),
        }
    }
}
