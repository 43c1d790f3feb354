// What the solver reports as it trains: one record per display of the training loss and
// one per evaluation of a test net. Metrics files, TensorBoard events and plots are made
// from these (include/hwgq/monitor/).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hwgq {

struct TrainingRecord {
  enum class Phase { kTrain, kTest };
  Phase phase = Phase::kTrain;
  int iteration = 0;
  // Which test net (0 for the first); -1 for training records.
  int test_net = -1;
  // The learning rate at `iteration`.
  float learning_rate = 0.f;
  // Training records: the loss averaged over the last average_loss iterations, as logged.
  float smoothed_loss = 0.f;
  // Each output of the net, named as in the log (an output blob with several values gets
  // "name#k" for its k-th value); test outputs are means over test_iter batches.
  std::vector<std::pair<std::string, float>> outputs;
  // Training images per iteration (batch x iter_size, summed over the replicas of a
  // data-parallel run) and the measured throughput since the previous display (0 when not
  // measured yet).
  int images_per_iteration = 0;
  double images_per_second = 0;
  // Seconds since the solver was created.
  double wall_seconds = 0;
};

}  // namespace hwgq
