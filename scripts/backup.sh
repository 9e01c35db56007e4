#!/usr/bin/env bash
# Back up Loopwise: the PostgreSQL database (pg_dump's custom format: compressed, restored
# table by table with pg_restore) and the uploaded files under MEDIA_ROOT (a tarball), side
# by side in one folder with their SHA-256 sums.
#
#   DATABASE_URL=postgres://user:pass@host:5432/loopwise MEDIA_ROOT=/srv/loopwise/media \
#     scripts/backup.sh [FOLDER]        # default: backups/<UTC time>
#
# Safe while Loopwise runs: pg_dump reads one consistent snapshot. Files uploaded during
# the dump may be in the tarball without their row (harmless) but never the reverse when
# the tarball is made after the dump, which is the order here. Prints the folder.
# pg_dump must be as new as the server (Debian: postgresql-client-<major>).
set -euo pipefail

: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database to back up}"
case $DATABASE_URL in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL is not PostgreSQL (SQLite: copy the file while stopped)" >&2; exit 2 ;;
esac
media=${MEDIA_ROOT:-var/media}
folder=${1:-backups/$(date -u +%Y%m%dT%H%M%SZ)}

mkdir -p "$folder"
pg_dump --format=custom --no-owner --no-privileges --file="$folder/database.dump" "$DATABASE_URL"
if [ -d "$media" ]; then
  tar -C "$media" -czf "$folder/media.tar.gz" .
else
  tar -czf "$folder/media.tar.gz" -T /dev/null  # no uploads yet: an empty tarball
fi
(cd "$folder" && sha256sum database.dump media.tar.gz >SHA256SUMS)
echo "$folder"
