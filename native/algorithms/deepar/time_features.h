// DeepAR's calendar features (the table of GluonTS's time_features_from_frequency_str,
// SageMaker's "derived features"): each a position in its cycle scaled to [−0.5, 0.5].
//   minute: minute-of-hour, hour-of-day, day-of-week, day-of-month, day-of-year
//   hour:   hour-of-day, day-of-week, day-of-month, day-of-year
//   day:    day-of-week, day-of-month, day-of-year
//   week:   day-of-month, week-of-year (ISO 8601)
//   month:  month-of-year
// A period is named by its index in base units since 1970-01-01 00:00 UTC (minutes, hours,
// days; months since January 1970), so step t of a window is origin + t · multiple.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {
namespace deepar {

enum class TimeUnit : uint32_t { kMinute = 0, kHour = 1, kDay = 2, kMonth = 3 };
enum class FeatureSet : uint32_t { kMinute = 0, kHour = 1, kDay = 2, kWeek = 3, kMonth = 4 };

size_t TimeFeatureCount(FeatureSet set);

// Writes TimeFeatureCount(set) features of the period `index` (in `unit`s since the epoch).
void TimeFeatures(FeatureSet set, TimeUnit unit, int64_t index, float* out);

}  // namespace deepar
}  // namespace boundless
