#include "hwgq/data/lmdb.hpp"

#include <glog/logging.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "hwgq/common.hpp"
#include "hwgq/util/io.hpp"

namespace hwgq {

namespace {

// Caffe commits every 1000 records too: big enough to amortise fsync, small enough that
// pending records stay a modest amount of memory.
constexpr size_t kRecordsPerCommit = 1000;

void check(int rc, const std::string& path, const char* what) {
  HWGQ_REQUIRE(rc == MDB_SUCCESS, "LMDB " << path << ": " << what << " failed: " << mdb_strerror(rc));
}

bool is_directory(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

}  // namespace

LmdbReader::LmdbReader(const std::string& path) : path_(path) {
  HWGQ_REQUIRE(file_exists(path), "LMDB " << path << " does not exist");
  HWGQ_REQUIRE(is_directory(path), "LMDB " << path << " is not a folder (an LMDB is a folder holding data.mdb)");
  HWGQ_REQUIRE(file_exists(path + "/data.mdb"), "LMDB " << path << " holds no data.mdb; is it an LMDB? (LevelDB is not supported)");
  check(mdb_env_create(&env_), path, "creating the environment");
  // NOTLS: the read transaction is opened here and used by the prefetch thread.
  int rc = mdb_env_open(env_, path.c_str(), MDB_RDONLY | MDB_NOTLS, 0664);
  if (rc == EACCES) {
    // A read-only folder where lock.mdb cannot be created: read without locking.
    rc = mdb_env_open(env_, path.c_str(), MDB_RDONLY | MDB_NOTLS | MDB_NOLOCK, 0664);
  }
  if (rc != MDB_SUCCESS) {
    mdb_env_close(env_);
    env_ = nullptr;
    check(rc, path, "opening");
  }
  rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_);
  if (rc == MDB_SUCCESS) rc = mdb_dbi_open(txn_, nullptr, 0, &dbi_);
  if (rc == MDB_SUCCESS) rc = mdb_cursor_open(txn_, dbi_, &cursor_);
  MDB_stat stat;
  if (rc == MDB_SUCCESS) rc = mdb_stat(txn_, dbi_, &stat);
  if (rc != MDB_SUCCESS) {
    if (txn_) mdb_txn_abort(txn_);
    mdb_env_close(env_);
    env_ = nullptr;
    txn_ = nullptr;
    check(rc, path, "reading");
  }
  size_ = stat.ms_entries;
}

LmdbReader::~LmdbReader() {
  if (cursor_) mdb_cursor_close(cursor_);
  if (txn_) mdb_txn_abort(txn_);
  if (env_) mdb_env_close(env_);
}

void LmdbReader::rewind() { at_end_ = true; }

void LmdbReader::next(std::string* key, std::string* value) {
  CHECK_GT(size_, 0u) << "reading from an empty LMDB " << path_;
  MDB_val k, v;
  int rc = mdb_cursor_get(cursor_, &k, &v, at_end_ ? MDB_FIRST : MDB_NEXT);
  if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(cursor_, &k, &v, MDB_FIRST);
  check(rc, path_, "reading a record");
  at_end_ = false;
  key->assign(static_cast<const char*>(k.mv_data), k.mv_size);
  value->assign(static_cast<const char*>(v.mv_data), v.mv_size);
}

void LmdbReader::skip(size_t count) {
  for (size_t i = 0; i < count; ++i) {
    MDB_val k, v;
    int rc = mdb_cursor_get(cursor_, &k, &v, at_end_ ? MDB_FIRST : MDB_NEXT);
    if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(cursor_, &k, &v, MDB_FIRST);
    check(rc, path_, "skipping a record");
    at_end_ = false;
  }
}

LmdbWriter::LmdbWriter(const std::string& path, size_t initial_map_bytes) : path_(path) {
  HWGQ_REQUIRE(!file_exists(path), "LMDB " << path << " already exists; remove it or choose another name");
  HWGQ_REQUIRE(::mkdir(path.c_str(), 0755) == 0, "cannot create LMDB folder " << path << ": " << std::strerror(errno));
  check(mdb_env_create(&env_), path, "creating the environment");
  map_size_ = initial_map_bytes;
  int rc = mdb_env_set_mapsize(env_, map_size_);
  if (rc == MDB_SUCCESS) rc = mdb_env_open(env_, path.c_str(), 0, 0664);
  if (rc != MDB_SUCCESS) {
    mdb_env_close(env_);
    env_ = nullptr;
    check(rc, path, "opening");
  }
}

LmdbWriter::~LmdbWriter() {
  try {
    close();
  } catch (const Error& e) {
    LOG(ERROR) << e.what();
  }
}

void LmdbWriter::put(const std::string& key, const std::string& value) {
  CHECK(env_) << "put after close";
  pending_.emplace_back(key, value);
  if (pending_.size() >= kRecordsPerCommit) commit();
}

void LmdbWriter::commit() {
  if (pending_.empty() || !env_) return;
  for (;;) {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env_, nullptr, 0, &txn), path_, "starting a write");
    MDB_dbi dbi;
    int rc = mdb_dbi_open(txn, nullptr, 0, &dbi);
    for (size_t i = 0; rc == MDB_SUCCESS && i < pending_.size(); ++i) {
      MDB_val k{pending_[i].first.size(), const_cast<char*>(pending_[i].first.data())};
      MDB_val v{pending_[i].second.size(), const_cast<char*>(pending_[i].second.data())};
      rc = mdb_put(txn, dbi, &k, &v, 0);
    }
    if (rc == MDB_SUCCESS) rc = mdb_txn_commit(txn);
    else mdb_txn_abort(txn);
    if (rc == MDB_MAP_FULL) {
      // The map is only address space until written, so doubling it is cheap; the whole
      // pending batch is written again into the larger map.
      map_size_ *= 2;
      check(mdb_env_set_mapsize(env_, map_size_), path_, "growing the map");
      continue;
    }
    check(rc, path_, "writing records");
    break;
  }
  pending_.clear();
}

void LmdbWriter::close() {
  if (!env_) return;
  commit();
  mdb_env_close(env_);
  env_ = nullptr;
}

}  // namespace hwgq
