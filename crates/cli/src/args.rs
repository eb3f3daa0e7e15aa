//! The command line grammar, parsed by clap. Doc comments here are the `--help` text.

use clap::{Parser, Subcommand};

/// Text shown after the options in `--help`: exit statuses and environment variables.
const AFTER_HELP: &str = "\
Exit status:
  0    success
  1    other failure (disk, catalog, unexpected API response)
  2    invalid arguments or settings
  3    credentials missing, invalid, rejected or unreadable
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
    Download {
        /// Video uids, as `offstream videos` lists them.
        #[arg(required = true, value_name = "UID")]
        uids: Vec<String>,

        /// Download the M4A audio track instead of the MP4 video.
        #[arg(long)]
        audio: bool,
    },

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

    /// Show where the credentials come from, the API base URL and the folders in use.
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
    fn global_flags_follow_subcommand() {
        let args = Args::try_parse_from(["offstream", "library", "--json", "--verbose"]).unwrap();
        assert!(args.verbose);
    }
}
