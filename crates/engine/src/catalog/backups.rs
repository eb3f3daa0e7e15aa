//! The `backups` and `backup_items` tables: one row per bulk backup and one per video it
//! selected, with the outcome, the download job and what the restore step needs.
//!
//! A backup and all its items are inserted in one transaction, so a backup is never recorded
//! with only some of its videos. Items keep the order they were inserted in (their rowid).

use offstream_stream::DownloadType;
use rusqlite::{params, OptionalExtension, Row};

use super::{now, parse_column, Catalog};
use crate::backup::{
    BackupId, BackupItemRecord, BackupOutcome, BackupReason, BackupRecord, BackupSelection,
    BackupState, NewBackupItem,
};
use crate::error::EngineError;
use crate::job::JobId;

const BACKUP_COLUMNS: &str =
    "id, account_id, download_type, selection, restore_account, state, created_at, finished_at";

const ITEM_COLUMNS: &str = "uid, title, outcome, reason, job_id, enabled_before, download_deleted";

impl Catalog {
    /// Records a new backup in the `running` state with its items, in one transaction, and
    /// returns its id.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when a statement fails (nothing is recorded then), for example
    /// when `items` names a uid twice.
    pub fn insert_backup(
        &self,
        account_id: &str,
        download_type: DownloadType,
        selection: &BackupSelection,
        restore_account: bool,
        items: &[NewBackupItem],
    ) -> Result<BackupId, EngineError> {
        let selection = serde_json::to_string(selection).map_err(|error| {
            EngineError::Internal(format!("the backup selection cannot be stored: {error}"))
        })?;
        let connection = self.lock();
        let transaction = connection.unchecked_transaction()?;

        transaction.execute(
            "INSERT INTO backups (account_id, download_type, selection, restore_account, state,
                                  created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                account_id,
                download_type.as_str(),
                selection,
                restore_account,
                BackupState::Running.as_str(),
                now(),
            ],
        )?;
        let id = transaction.last_insert_rowid();

        {
            let mut insert = transaction.prepare(
                "INSERT INTO backup_items (backup_id, uid, title, outcome, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for item in items {
                insert.execute(params![
                    id,
                    item.uid,
                    item.title,
                    item.outcome.as_str(),
                    item.reason.map(BackupReason::as_str),
                ])?;
            }
        }
        transaction.commit()?;
        Ok(id)
    }

    /// Returns one backup.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails or a stored value is unknown.
    pub fn backup(&self, id: BackupId) -> Result<Option<BackupRecord>, EngineError> {
        let connection = self.lock();
        let record = connection
            .query_row(
                &format!("SELECT {BACKUP_COLUMNS} FROM backups WHERE id = ?1"),
                [id],
                backup_from_row,
            )
            .optional()?;
        Ok(record)
    }

    /// Returns the backups of an account, newest first.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails or a stored value is unknown.
    pub fn backups(&self, account_id: &str) -> Result<Vec<BackupRecord>, EngineError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {BACKUP_COLUMNS} FROM backups WHERE account_id = ?1 ORDER BY id DESC"
        ))?;
        let records = statement
            .query_map([account_id], backup_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(records)
    }

    /// Returns the items of a backup in the order they were recorded.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails or a stored value is unknown.
    pub fn backup_items(&self, id: BackupId) -> Result<Vec<BackupItemRecord>, EngineError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {ITEM_COLUMNS} FROM backup_items WHERE backup_id = ?1 ORDER BY rowid"
        ))?;
        let items = statement
            .query_map([id], item_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// Sets the state of a backup. `done` and `cancelled` also set `finished_at`.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn set_backup_state(&self, id: BackupId, state: BackupState) -> Result<(), EngineError> {
        let finished_at = state.is_finished().then(now);
        self.lock().execute(
            "UPDATE backups SET state = ?2, finished_at = ?3 WHERE id = ?1",
            params![id, state.as_str(), finished_at],
        )?;
        Ok(())
    }

    /// Records the download job of one item and its outcome.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn set_backup_item_job(
        &self,
        id: BackupId,
        uid: &str,
        job_id: JobId,
        outcome: BackupOutcome,
    ) -> Result<(), EngineError> {
        self.lock().execute(
            "UPDATE backup_items SET job_id = ?3, outcome = ?4 WHERE backup_id = ?1 AND uid = ?2",
            params![id, uid, job_id, outcome.as_str()],
        )?;
        Ok(())
    }

    /// Records the outcome of one item.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn set_backup_item_outcome(
        &self,
        id: BackupId,
        uid: &str,
        outcome: BackupOutcome,
    ) -> Result<(), EngineError> {
        self.lock().execute(
            "UPDATE backup_items SET outcome = ?3 WHERE backup_id = ?1 AND uid = ?2",
            params![id, uid, outcome.as_str()],
        )?;
        Ok(())
    }

    /// Records whether Stream had the item's download before the backup enabled it.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn set_backup_item_enabled_before(
        &self,
        id: BackupId,
        uid: &str,
        enabled_before: bool,
    ) -> Result<(), EngineError> {
        self.lock().execute(
            "UPDATE backup_items SET enabled_before = ?3 WHERE backup_id = ?1 AND uid = ?2",
            params![id, uid, enabled_before],
        )?;
        Ok(())
    }

    /// Records that the restore step deleted the item's download on Stream.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the statement fails.
    pub fn set_backup_item_download_deleted(
        &self,
        id: BackupId,
        uid: &str,
    ) -> Result<(), EngineError> {
        self.lock().execute(
            "UPDATE backup_items SET download_deleted = 1 WHERE backup_id = ?1 AND uid = ?2",
            params![id, uid],
        )?;
        Ok(())
    }

    /// Returns true when another backup of this account and download type found the video's
    /// download absent, so Offstream enabled it, and has not deleted it since. A download that
    /// exists now was then created by Offstream, not by the account's owner.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn download_enabled_by_backup(
        &self,
        account_id: &str,
        download_type: DownloadType,
        uid: &str,
        except: BackupId,
    ) -> Result<bool, EngineError> {
        let connection = self.lock();
        let found = connection
            .query_row(
                "SELECT 1 FROM backup_items i JOIN backups b ON b.id = i.backup_id
                 WHERE b.account_id = ?1 AND b.download_type = ?2 AND i.uid = ?3
                   AND b.id <> ?4 AND i.enabled_before = 0 AND i.download_deleted = 0
                 LIMIT 1",
                params![account_id, download_type.as_str(), uid, except],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Returns the other finished backups of this account and download type that enabled the
    /// video's download (their restore step would delete it) and have not deleted it. A later
    /// backup that skips the video, because it is already offline, deletes it for them.
    ///
    /// # Errors
    /// [`EngineError::Catalog`] when the query fails.
    pub fn backups_owing_delete(
        &self,
        account_id: &str,
        download_type: DownloadType,
        uid: &str,
        except: BackupId,
    ) -> Result<Vec<BackupId>, EngineError> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT b.id FROM backup_items i JOIN backups b ON b.id = i.backup_id
             WHERE b.account_id = ?1 AND b.download_type = ?2 AND i.uid = ?3 AND b.id <> ?4
               AND b.state IN ('done', 'cancelled')
               AND i.enabled_before = 0 AND i.download_deleted = 0
             ORDER BY b.id",
        )?;
        let ids = statement
            .query_map(
                params![account_id, download_type.as_str(), uid, except],
                |row| row.get(0),
            )?
            .collect::<Result<Vec<BackupId>, _>>()?;
        Ok(ids)
    }
}

fn backup_from_row(row: &Row<'_>) -> rusqlite::Result<BackupRecord> {
    let selection: String = row.get(3)?;
    let selection = serde_json::from_str(&selection).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, error.into())
    })?;
    Ok(BackupRecord {
        id: row.get(0)?,
        account_id: row.get(1)?,
        download_type: parse_column(row, 2)?,
        selection,
        restore_account: row.get(4)?,
        state: parse_column(row, 5)?,
        created_at: row.get(6)?,
        finished_at: row.get(7)?,
    })
}

fn item_from_row(row: &Row<'_>) -> rusqlite::Result<BackupItemRecord> {
    let reason = match row.get::<_, Option<String>>(3)? {
        Some(_) => Some(parse_column(row, 3)?),
        None => None,
    };
    Ok(BackupItemRecord {
        uid: row.get(0)?,
        title: row.get(1)?,
        outcome: parse_column(row, 2)?,
        reason,
        job_id: row.get(4)?,
        enabled_before: row.get(5)?,
        download_deleted: row.get(6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(dir.path()).unwrap();
        (dir, catalog)
    }

    fn item(uid: &str, outcome: BackupOutcome, reason: Option<BackupReason>) -> NewBackupItem {
        NewBackupItem {
            uid: uid.to_owned(),
            title: format!("Title of {uid}"),
            outcome,
            reason,
        }
    }

    fn insert(catalog: &Catalog, account: &str, items: &[NewBackupItem]) -> BackupId {
        let selection = BackupSelection {
            search: Some("talk".to_owned()),
            ..BackupSelection::default()
        };
        catalog
            .insert_backup(account, DownloadType::Default, &selection, true, items)
            .unwrap()
    }

    #[test]
    fn backup_round_trips() {
        let (_dir, catalog) = open();
        let id = insert(&catalog, "acct", &[]);

        let record = catalog.backup(id).unwrap().unwrap();
        assert_eq!(record.account_id, "acct");
        assert_eq!(record.download_type, DownloadType::Default);
        assert_eq!(record.selection.search.as_deref(), Some("talk"));
        assert!(record.restore_account);
        assert_eq!(record.state, BackupState::Running);
        assert_eq!(record.finished_at, None);
    }

    #[test]
    fn items_keep_insert_order() {
        let (_dir, catalog) = open();
        let items = [
            item("c", BackupOutcome::Queued, None),
            item(
                "a",
                BackupOutcome::Skipped,
                Some(BackupReason::AlreadyOffline),
            ),
            item(
                "b",
                BackupOutcome::Unavailable,
                Some(BackupReason::NotReady),
            ),
        ];
        let id = insert(&catalog, "acct", &items);

        let stored = catalog.backup_items(id).unwrap();
        let uids: Vec<&str> = stored.iter().map(|item| item.uid.as_str()).collect();
        assert_eq!(uids, ["c", "a", "b"]);
        assert_eq!(stored[1].reason, Some(BackupReason::AlreadyOffline));
        assert_eq!(stored[2].outcome, BackupOutcome::Unavailable);
        assert_eq!(stored[0].enabled_before, None);
        assert!(!stored[0].download_deleted);
    }

    #[test]
    fn duplicate_uid_records_nothing() {
        let (_dir, catalog) = open();
        let items = [
            item("a", BackupOutcome::Queued, None),
            item("a", BackupOutcome::Queued, None),
        ];
        let result = catalog.insert_backup(
            "acct",
            DownloadType::Default,
            &BackupSelection::default(),
            false,
            &items,
        );
        assert_eq!(result.unwrap_err().code(), "catalog");
        assert!(catalog.backups("acct").unwrap().is_empty());
    }

    #[test]
    fn item_updates_are_stored() {
        let (_dir, catalog) = open();
        let job = catalog.insert_job("a", DownloadType::Default).unwrap();
        let id = insert(&catalog, "acct", &[item("a", BackupOutcome::Queued, None)]);

        catalog
            .set_backup_item_job(id, "a", job, BackupOutcome::Running)
            .unwrap();
        catalog
            .set_backup_item_enabled_before(id, "a", false)
            .unwrap();
        catalog
            .set_backup_item_outcome(id, "a", BackupOutcome::Done)
            .unwrap();
        catalog.set_backup_item_download_deleted(id, "a").unwrap();

        let stored = &catalog.backup_items(id).unwrap()[0];
        assert_eq!(stored.job_id, Some(job));
        assert_eq!(stored.enabled_before, Some(false));
        assert_eq!(stored.outcome, BackupOutcome::Done);
        assert!(stored.download_deleted);
    }

    #[test]
    fn finished_state_sets_time() {
        let (_dir, catalog) = open();
        let id = insert(&catalog, "acct", &[]);
        catalog.set_backup_state(id, BackupState::Done).unwrap();
        let record = catalog.backup(id).unwrap().unwrap();
        assert_eq!(record.state, BackupState::Done);
        assert!(record.finished_at.is_some());
    }

    #[test]
    fn backups_list_newest_first_per_account() {
        let (_dir, catalog) = open();
        let first = insert(&catalog, "acct", &[]);
        insert(&catalog, "other", &[]);
        let third = insert(&catalog, "acct", &[]);

        let ids: Vec<BackupId> = catalog
            .backups("acct")
            .unwrap()
            .iter()
            .map(|record| record.id)
            .collect();
        assert_eq!(ids, [third, first]);
    }

    #[test]
    fn deleting_job_clears_item_link() {
        let (_dir, catalog) = open();
        let job = catalog.insert_job("a", DownloadType::Default).unwrap();
        let id = insert(&catalog, "acct", &[item("a", BackupOutcome::Queued, None)]);
        catalog
            .set_backup_item_job(id, "a", job, BackupOutcome::Failed)
            .unwrap();
        catalog.delete_job(job).unwrap();
        assert_eq!(catalog.backup_items(id).unwrap()[0].job_id, None);
    }

    #[test]
    fn earlier_backup_download_is_found() {
        let (_dir, catalog) = open();
        let earlier = insert(
            &catalog,
            "acct",
            &[item("a", BackupOutcome::Cancelled, None)],
        );
        catalog
            .set_backup_item_enabled_before(earlier, "a", false)
            .unwrap();
        let later = insert(&catalog, "acct", &[item("a", BackupOutcome::Queued, None)]);

        let found = |uid: &str, account: &str, download_type: DownloadType| {
            catalog
                .download_enabled_by_backup(account, download_type, uid, later)
                .unwrap()
        };
        assert!(found("a", "acct", DownloadType::Default));
        assert!(!found("a", "other", DownloadType::Default));
        assert!(!found("a", "acct", DownloadType::Audio));
        assert!(!found("b", "acct", DownloadType::Default));
        assert!(!catalog
            .download_enabled_by_backup("acct", DownloadType::Default, "a", earlier)
            .unwrap());

        catalog
            .set_backup_item_download_deleted(earlier, "a")
            .unwrap();
        assert!(!found("a", "acct", DownloadType::Default));
    }

    #[test]
    fn owing_backups_are_finished_ones() {
        let (_dir, catalog) = open();
        let running = insert(&catalog, "acct", &[item("a", BackupOutcome::Running, None)]);
        let cancelled = insert(&catalog, "acct", &[item("a", BackupOutcome::Done, None)]);
        let kept = insert(&catalog, "acct", &[item("a", BackupOutcome::Done, None)]);
        let later = insert(&catalog, "acct", &[item("a", BackupOutcome::Skipped, None)]);
        for id in [running, cancelled, kept] {
            catalog
                .set_backup_item_enabled_before(id, "a", id == kept)
                .unwrap();
        }
        catalog
            .set_backup_state(cancelled, BackupState::Cancelled)
            .unwrap();
        catalog.set_backup_state(kept, BackupState::Done).unwrap();

        let owing = catalog
            .backups_owing_delete("acct", DownloadType::Default, "a", later)
            .unwrap();
        assert_eq!(owing, [cancelled]);
    }
}
