//! The command line grammar, parsed by clap. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Text shown after the options in `--help`: exit statuses and environment variables.
const AFTER_HELP: &str = "\
Exit status:
  0    success
  1    other failure (disk, catalog, unexpected API response)
  2    invalid arguments, settings or key material, or this computer's clock is so far
       off Cloudflare's that signed tokens are refused
  3    credentials or signing key missing, invalid, rejected, revoked or unreadable
  4    video not found
  5    network or service failure (cannot reach the API, server error, rate limited)
  6    a downloaded file failed verification
  7    the video is not ready to download yet
  130  interrupted with Ctrl-C (partial downloads are kept for a resume)

Environment:
  CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_TOKEN  credentials; both set override the keychain
  OFFSTREAM_DATA_DIR     folder of the catalog and settings
  OFFSTREAM_LIBRARY_DIR  folder of the downloaded files
  OFFSTREAM_API_BASE     API base URL (default https://api.cloudflare.com/client/v4)
  RUST_LOG               log filter, such as offstream_engine=debug";

/// Download Cloudflare Stream videos into an offline library.
#[derive(Debug, Parser)]
#[command(name = "offstream", version, about, after_help = AFTER_HELP)]
pub struct Args {
    /// Write debug logs to standard error (they never contain a secret).
    #[arg(long, global = true)]
    pub verbose: bool,

    /// Print no progress, only results and errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every video of the account, newest first.
    Videos {
        /// Show only videos whose name contains TEXT (case-insensitive, matched by Stream).
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,

        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },

    /// Download videos into the library and print the path of each verified file.
    ///
    /// For each uid, Stream is asked to prepare the MP4 (or M4A), the file is downloaded,
    /// verified and moved into the library folder. A file already in the library is not
    /// downloaded again. Ctrl-C stops the downloads and keeps partial files, so running the
    /// same command again resumes them.
    ///
    /// Private videos (those that require signed URLs) need no extra flag: their tokens are
    /// signed with the stored signing key (see `offstream keys`), or else requested from
    /// Cloudflare's token endpoint, which is meant only for low volumes.
    Download {
        /// Video uids, as `offstream videos` lists them; not signed tokens.
        #[arg(required = true, value_name = "UID")]
        uids: Vec<String>,

        /// Download the M4A audio track instead of the MP4 video.
        #[arg(long)]
        audio: bool,
    },

    /// Resume the downloads an earlier run left unfinished (after a crash, a kill or a power
    /// cut) and print the path of each verified file. Paused downloads stay paused.
    Resume,

    /// Update the synced copy of the account's video list and print what changed.
    ///
    /// The copy (the mirror) lives in the catalog, where `backup` and the desktop app read
    /// it. A quick sync requests only the videos uploaded since the last sync and the
    /// account's video count. It walks the whole list only when the count does not add up
    /// (a video was deleted). The first sync of an account always walks the whole list.
    Sync {
        /// Walk the whole list, which also finds renamed and changed videos.
        #[arg(long)]
        full: bool,
    },

    /// Take many videos offline as one backup, after showing its size and cost.
    ///
    /// Syncs the video list first (quick), then prints the estimate. It shows how many videos
    /// are downloaded, their total size and the minutes Cloudflare bills for the downloads
    /// (the sum of their durations). It also lists the videos that cannot be downloaded, with
    /// the reason, and counts those skipped because they are already in the library. Then it
    /// asks for confirmation: --yes skips the question, and is required when standard input
    /// is not a terminal. The downloads show the usual progress, and a summary ends the run.
    ///
    /// Filters combine: --search, --since, --until and --creator must all match. --all
    /// selects every video instead. Ctrl-C stops the backup and keeps partial files, so
    /// running the same command again resumes them.
    #[command(group(
        clap::ArgGroup::new("selection")
            .required(true)
            .multiple(true)
            .args(["all", "search", "since", "until", "creator"])
    ))]
    Backup(BackupArgs),

    /// List the files in the offline library, newest first.
    Library {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },

    /// Check an API token and store it with the account id in the OS keychain.
    ///
    /// The token is read from standard input when it is not a terminal, else from a hidden
    /// prompt. It is checked with one API call before anything is stored.
    Login {
        /// Cloudflare account id (32 hexadecimal characters); prompted for when omitted.
        #[arg(long, value_name = "ID")]
        account_id: Option<String>,
    },

    /// Delete the stored account id and API token from the OS keychain.
    Logout,

    /// Show where the credentials come from, the signing key, the API base URL and the
    /// folders in use.
    Status,

    /// Manage the signing key that signs tokens for private videos.
    ///
    /// The key is kept only in the OS keychain, never in a file or an environment variable.
    /// With a key, tokens are signed on this computer with no API call per video. Without one,
    /// each private video's token comes from Cloudflare's token endpoint, which Cloudflare
    /// recommends only for low volumes.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

/// The options of `offstream backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Back up every video of the account.
    #[arg(long, conflicts_with_all = ["search", "since", "until", "creator"])]
    pub all: bool,

    /// Back up the videos whose name contains TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Back up videos uploaded on or after DATE: a date such as 2024-05-31 (its start, in
    /// UTC) or an RFC 3339 time such as 2024-05-31T12:00:00Z.
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Back up videos uploaded before DATE: a date such as 2024-05-31 (up to its end, in
    /// UTC) or an RFC 3339 time.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// Back up the videos of this creator id.
    #[arg(long, value_name = "ID")]
    pub creator: Option<String>,

    /// Download the M4A audio track instead of the MP4 video.
    #[arg(long)]
    pub audio: bool,

    /// Print the estimate and stop; nothing is downloaded or enabled on Stream.
    #[arg(long)]
    pub dry_run: bool,

    /// Once the backup ends, delete the downloads it enabled on Stream. Downloads that
    /// existed before the backup are left alone.
    #[arg(long)]
    pub restore_account: bool,

    /// Write a manifest of the backup's files (uid, title, creator, created, duration, path,
    /// bytes, SHA-256) to FILE; its extension, .json or .csv, sets the format.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    /// Start without asking; required when standard input is not a terminal.
    #[arg(long)]
    pub yes: bool,
}

/// The subcommands of `offstream keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Store an existing signing key in the OS keychain and print its id.
    ///
    /// The key material is the `pem` or `jwk` value that Stream's keys API returned (base64,
    /// or decoded), or a PEM or JWK file. It is read from --file, else from standard input
    /// when that is not a terminal, else from a hidden prompt. It is never taken as a
    /// command-line argument, because arguments are saved in the shell history and other
    /// users can read them with `ps`.
    Add {
        /// Key id (32 hexadecimal characters); may be left out when the material is a JWK,
        /// whose `kid` names the key.
        #[arg(long, value_name = "ID")]
        id: Option<String>,

        /// Read the key material from this file (`-` for standard input).
        #[arg(long, value_name = "PATH")]
        file: Option<PathBuf>,
    },

    /// Create a signing key on the Cloudflare account, store it in the keychain and print its id.
    ///
    /// Asks for confirmation on a terminal. The API token needs the Stream Write permission.
    Create {
        /// Create the key without asking; required when standard input is not a terminal.
        #[arg(long)]
        yes: bool,
    },

    /// Delete the stored signing key from the keychain.
    Remove {
        /// Revoke the key on Cloudflare first, so every token signed with it stops working.
        #[arg(long)]
        revoke: bool,
    },

    /// Show the stored signing key, whether the account lists it, and the clock skew when large.
    Status,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn grammar_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn download_requires_uid() {
        let result = Args::try_parse_from(["offstream", "download"]);
        assert!(result.is_err());
    }

    #[test]
    fn keys_add_takes_no_material_argument() {
        let result = Args::try_parse_from(["offstream", "keys", "add", "LS0tLS1CRUdJTi"]);
        assert!(result.is_err());
    }

    #[test]
    fn keys_add_reads_file_option() {
        let args = Args::try_parse_from(["offstream", "keys", "add", "--file", "key.pem"]).unwrap();
        let Command::Keys {
            command: KeysCommand::Add { file, id },
        } = args.command
        else {
            panic!("parsed as {:?}", args.command);
        };
        assert_eq!(file, Some(PathBuf::from("key.pem")));
        assert_eq!(id, None);
    }

    #[test]
    fn backup_requires_selection() {
        let result = Args::try_parse_from(["offstream", "backup", "--dry-run"]);
        assert!(result.is_err());
    }

    #[test]
    fn backup_all_excludes_filters() {
        let result = Args::try_parse_from(["offstream", "backup", "--all", "--search", "x"]);
        assert!(result.is_err());
    }

    #[test]
    fn backup_filters_combine() {
        let args = Args::try_parse_from([
            "offstream",
            "backup",
            "--search",
            "talk",
            "--since",
            "2024-05-01",
            "--creator",
            "c1",
        ])
        .unwrap();
        let Command::Backup(backup) = args.command else {
            panic!("parsed as {:?}", args.command);
        };
        assert_eq!(backup.search.as_deref(), Some("talk"));
        assert_eq!(backup.since.as_deref(), Some("2024-05-01"));
        assert_eq!(backup.creator.as_deref(), Some("c1"));
        assert!(!backup.all);
    }

    #[test]
    fn global_flags_follow_subcommand() {
        let args = Args::try_parse_from(["offstream", "library", "--json", "--verbose"]).unwrap();
        assert!(args.verbose);
    }
}
