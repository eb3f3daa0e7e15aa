//! `offstream-bench`: measures the offstream CLI against curl and dd on the local Stream
//! emulator and writes a Markdown results page.
//!
//! Five measurements, each in its own module: throughput of one large download (`throughput`),
//! peak memory of the CLI at several sizes (`memory`), API calls per video in a rate-limited
//! bulk download (`bulk`), bytes downloaded again after connection resets (`resume`), and the
//! time of a full and a quick sync of the account's video list (`sync`). The emulator runs in
//! this process; `offstream`, `curl`, `dd` and `sync` run as child processes, reaped with
//! `wait4` to read their peak memory. The sync scenario calls the engine in this process.
//!
//! Invariants: every downloaded file lives in one temporary work folder, which is removed at
//! the end, on an error and on Ctrl-C, and no two large files of the same tool exist at once.
//! A missing tool or a failed download ends the program with status 1 and a message naming
//! it. A target that is not met is a result on the page, not a failure.
//!
//! Unix only: it relies on `wait4`, `statvfs`, GNU `dd` and `sync FILE`.

#[cfg(unix)]
mod bulk;
#[cfg(unix)]
mod child;
#[cfg(unix)]
mod machine;
#[cfg(unix)]
mod memory;
#[cfg(unix)]
mod options;
#[cfg(unix)]
mod report;
#[cfg(unix)]
mod resume;
#[cfg(unix)]
mod setup;
#[cfg(unix)]
mod sync;
#[cfg(unix)]
mod throughput;
#[cfg(unix)]
mod tools;
#[cfg(unix)]
mod units;
#[cfg(unix)]
mod workdir;

#[cfg(unix)]
fn main() -> std::process::ExitCode {
    use clap::Parser;

    let args = options::Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("offstream-bench: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("offstream-bench: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(unix))]
fn main() -> std::process::ExitCode {
    eprintln!("offstream-bench: this program runs on Linux and other Unix systems only, because it reads child memory with wait4");
    std::process::ExitCode::FAILURE
}

/// Runs the selected scenarios and writes the page.
#[cfg(unix)]
async fn run(args: options::Args) -> Result<(), String> {
    use options::Scenario;

    let settings = options::Settings::from_args(&args)?;
    let tools = tools::Tools::find(args.offstream.clone())?;
    let parent = args.work_dir.clone().unwrap_or_else(std::env::temp_dir);
    let work = workdir::WorkDir::create(&parent, settings.largest_file())?;
    workdir::remove_on_interrupt(work.path().to_owned())
        .map_err(|error| format!("cannot install the Ctrl-C handler: {error}"))?;
    let started = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|now| {
            now.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "an unknown date".to_owned());
    let machine = machine::Machine::describe(work.path());
    eprintln!("offstream-bench: work folder {}", work.path().display());

    let mut report = report::Report {
        settings: &settings,
        tools: &tools,
        machine: &machine,
        invocation: invocation(),
        started,
        note: args.note.clone(),
        throughput: None,
        memory: None,
        bulk: None,
        resume: None,
        sync: None,
    };

    if settings.runs_scenario(Scenario::Throughput) {
        report.throughput =
            Some(throughput::run(&tools, &work, settings.size, settings.runs).await?);
    }
    if settings.runs_scenario(Scenario::Memory) {
        report.memory = Some(memory::run(&tools, &work, &settings.memory_sizes).await?);
    }
    if settings.runs_scenario(Scenario::Resume) {
        report.resume =
            Some(resume::run(&tools, &work, settings.resume_size, settings.resets).await?);
    }
    if settings.runs_scenario(Scenario::Bulk) {
        report.bulk = Some(
            bulk::run(
                &tools,
                &work,
                settings.videos,
                settings.prepare_time,
                settings.bulk_timeout,
            )
            .await?,
        );
    }
    if settings.runs_scenario(Scenario::Sync) {
        report.sync = Some(sync::run(&work, settings.sync_videos, settings.sync_runs).await?);
    }

    let page = report.render();
    match &args.output {
        Some(path) => {
            std::fs::write(path, &page)
                .map_err(|error| format!("cannot write the page to {}: {error}", path.display()))?;
            eprintln!("offstream-bench: wrote {}", path.display());
        }
        None => print!("{page}"),
    }
    Ok(())
}

/// Returns this program's command line, quoting arguments that contain spaces.
#[cfg(unix)]
fn invocation() -> String {
    std::env::args()
        .map(|argument| {
            if argument.contains(char::is_whitespace) {
                format!("'{argument}'")
            } else {
                argument
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
