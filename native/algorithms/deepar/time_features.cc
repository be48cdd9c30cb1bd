#include "algorithms/deepar/time_features.h"

namespace boundless {
namespace deepar {
namespace {

struct Civil {
  int64_t year;
  int month, day;        // 1-based
  int day_of_year;       // 1-based
  int weekday;           // Monday 0 … Sunday 6
  int iso_week;          // 1 … 53
};

bool Leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 to the proleptic Gregorian date, by 400-year eras of 146,097 days
// counted from 0000-03-01 (the shifted year puts the leap day last).
Civil FromDays(int64_t days) {
  const int64_t z = days + 719468, era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy_march = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy_march + 2) / 153;
  Civil c;
  c.day = static_cast<int>(doy_march - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  static const int kBefore[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  c.day_of_year = kBefore[c.month - 1] + c.day + (c.month > 2 && Leap(c.year));
  c.weekday = static_cast<int>(((days + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  // ISO week: the week (Monday first) holding the year's first Thursday is week 1.
  const int week = (c.day_of_year - (c.weekday + 1) + 10) / 7;
  auto weeks_in = [](int64_t y, int jan1_weekday) { return jan1_weekday == 3 || (Leap(y) && jan1_weekday == 2) ? 53 : 52; };
  const int jan1 = ((c.weekday - (c.day_of_year - 1)) % 7 + 7) % 7;
  if (week < 1) {
    const int prev_jan1 = ((jan1 - (Leap(c.year - 1) ? 366 : 365)) % 7 + 7) % 7;
    c.iso_week = weeks_in(c.year - 1, prev_jan1);
  } else {
    c.iso_week = week > weeks_in(c.year, jan1) ? 1 : week;
  }
  return c;
}

float Scaled(int value, int top) { return static_cast<float>(value) / static_cast<float>(top) - 0.5f; }

}  // namespace

size_t TimeFeatureCount(FeatureSet set) {
  switch (set) {
    case FeatureSet::kMinute: return 5;
    case FeatureSet::kHour: return 4;
    case FeatureSet::kDay: return 3;
    case FeatureSet::kWeek: return 2;
    case FeatureSet::kMonth: return 1;
  }
  return 0;
}

void TimeFeatures(FeatureSet set, TimeUnit unit, int64_t index, float* out) {
  if (unit == TimeUnit::kMonth) {
    out[0] = Scaled(static_cast<int>(((index % 12) + 12) % 12), 11);
    return;
  }
  int64_t minutes = index;
  if (unit == TimeUnit::kHour) minutes = index * 60;
  if (unit == TimeUnit::kDay) minutes = index * 1440;
  const int64_t days = FloorDiv(minutes, 1440);
  const int minute_of_day = static_cast<int>(minutes - days * 1440);
  const Civil c = FromDays(days);
  const float dow = Scaled(c.weekday, 6), dom = Scaled(c.day - 1, 30), doy = Scaled(c.day_of_year - 1, 365);
  switch (set) {
    case FeatureSet::kMinute:
      out[0] = Scaled(minute_of_day % 60, 59);
      out[1] = Scaled(minute_of_day / 60, 23);
      out[2] = dow, out[3] = dom, out[4] = doy;
      break;
    case FeatureSet::kHour:
      out[0] = Scaled(minute_of_day / 60, 23);
      out[1] = dow, out[2] = dom, out[3] = doy;
      break;
    case FeatureSet::kDay:
      out[0] = dow, out[1] = dom, out[2] = doy;
      break;
    case FeatureSet::kWeek:
      out[0] = dom, out[1] = Scaled(c.iso_week - 1, 52);
      break;
    case FeatureSet::kMonth:
      out[0] = Scaled(c.month - 1, 11);
      break;
  }
}

}  // namespace deepar
}  // namespace boundless
