// LMDB databases as Caffe lays them out: a folder holding data.mdb and lock.mdb, one
// unnamed database of key -> serialized Datum. Failures raise hwgq::Error naming the path.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

struct MDB_env;
struct MDB_txn;
struct MDB_cursor;

namespace hwgq {

// Reads records in key order, starting over after the last one. One reader may be used
// from any thread, but from one at a time.
class LmdbReader {
 public:
  explicit LmdbReader(const std::string& path);
  ~LmdbReader();
  LmdbReader(const LmdbReader&) = delete;
  LmdbReader& operator=(const LmdbReader&) = delete;

  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // The record under the cursor, then advances (wrapping to the first record).
  // The database must not be empty.
  void next(std::string* key, std::string* value);
  // Moves on by `count` records as `count` next() calls would, without copying them.
  void skip(size_t count);
  // Back to the first record.
  void rewind();

 private:
  std::string path_;
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_cursor* cursor_ = nullptr;
  unsigned dbi_ = 0;
  size_t size_ = 0;
  bool at_end_ = true;
};

// Creates a new database and writes records into it in batches of transactions; the
// memory map grows as needed.
class LmdbWriter {
 public:
  // Raises hwgq::Error when `path` already exists, so an existing database is never
  // overwritten by mistake. The memory map starts at initial_map_bytes and doubles
  // whenever it fills.
  explicit LmdbWriter(const std::string& path, size_t initial_map_bytes = size_t(1) << 26);
  // Commits what is pending (errors are logged: call close() to see them as exceptions).
  ~LmdbWriter();
  LmdbWriter(const LmdbWriter&) = delete;
  LmdbWriter& operator=(const LmdbWriter&) = delete;

  void put(const std::string& key, const std::string& value);
  // Writes all pending records in one transaction.
  void commit();
  void close();

 private:
  std::string path_;
  MDB_env* env_ = nullptr;
  size_t map_size_ = 0;
  std::vector<std::pair<std::string, std::string>> pending_;
};

}  // namespace hwgq
