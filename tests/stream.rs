//! The streaming replay's pure parts against the whole-recording ones: a series read line by
//! line, cut into windows as the reading goes and dropping what later windows no longer need,
//! gives exactly the samples `pair_in_window` cuts from `parse_series`' whole series.

use canary_judge::analysis::stream::{SeriesWindow, StreamSchedule};
use canary_judge::analysis::{pair_in_window, schedule, JudgementWindow, ScheduleRequest};
use canary_judge::model::{MetricSetPair, MetricSetPairValues};
use canary_judge::source::csv::parse_series;
use proptest::prelude::*;

/// A CSV of `rows` rows: gaps of 1–3 steps (a step of 1–5 minutes), NaN now and then, blank
/// lines and a header.
fn csv() -> impl Strategy<Value = String> {
    (
        1i64..6,
        proptest::collection::vec(
            (
                1i64..4,
                prop_oneof![9 => 0.0..100.0f64, 1 => Just(f64::NAN)],
                any::<bool>(),
            ),
            2..200,
        ),
    )
        .prop_map(|(step_mins, rows)| {
            let mut text = String::from("timestamp,value\n");
            let mut t = 1_767_225_600;
            for (k, (gap, v, blank)) in rows.into_iter().enumerate() {
                // The first two gaps are one step, so the step is step_mins.
                t += if k < 3 { 1 } else { gap } * step_mins * 60;
                if blank {
                    text.push('\n');
                }
                text.push_str(&format!("{t},{v}\n"));
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Sliding or growing windows, with warm-up and control offset: the streamed cuts are the
    /// whole series' cuts, to the bit, and the schedule is `schedule`'s.
    #[test]
    fn streamed_windows_are_the_whole_series_windows(
        text in csv(),
        interval in 1i64..90,
        lookback in prop_oneof![Just(0i64), 1i64..120],
        begin_after in 0i64..60,
        offset in 0i64..60,
    ) {
        let whole = parse_series(&text).expect("valid");
        let start = whole.start_ms;
        let end = start + whole.step_ms * whole.values.len() as i64;
        let lifetime = (end - start) / 60_000 - begin_after;
        prop_assume!(lifetime > 0);
        let request = ScheduleRequest {
            start_ms: Some(start),
            lifetime_mins: Some(lifetime),
            interval_mins: Some(interval),
            begin_after_mins: begin_after,
            lookback_mins: lookback,
            control_offset_mins: offset,
            ..ScheduleRequest::default()
        };
        let expected_windows = schedule(&request, start).expect("schedule");
        let scope = serde_json::json!({"startTimeMillis": start, "stepMillis": whole.step_ms});
        let pair = MetricSetPair {
            values: MetricSetPairValues { control: whole.values.clone(), experiment: whole.values.clone() },
            scopes: Some(serde_json::json!({"control": scope, "experiment": scope})),
            ..MetricSetPair::default()
        };

        // One series read twice over (as control and as experiment), line by line.
        let mut lines = text.lines();
        let (mut control, mut experiment) = (SeriesWindow::new(), SeriesWindow::new());
        let read_until = |series: &mut SeriesWindow, lines: &mut std::str::Lines<'_>, to: i64| {
            while !series.has_until(to) {
                match lines.next() {
                    Some(line) => series.push_line(line).expect("valid"),
                    None => series.finish().expect("valid"),
                }
            }
        };
        let mut stream = StreamSchedule::new(start, request).expect("schedule");
        let mut got: Vec<JudgementWindow> = Vec::new();
        let mut control_lines = text.lines();
        while !stream.is_finished() {
            let next = stream.upcoming(1);
            let Some(window) = next.first().copied() else {
                stream.set_lifetime(lifetime).expect("lifetime");
                continue;
            };
            if window.experiment_end_ms > end {
                stream.set_lifetime(lifetime).expect("lifetime");
                continue;
            }
            read_until(&mut experiment, &mut lines, window.experiment_end_ms);
            read_until(&mut control, &mut control_lines, window.control_end_ms);
            let cut = pair_in_window(&pair, &window).expect("scopes");
            let streamed = (
                control.window(window.control_start_ms, window.control_end_ms).expect("held"),
                experiment.window(window.experiment_start_ms, window.experiment_end_ms).expect("held"),
            );
            prop_assert_eq!(format!("{:?}", streamed.0), format!("{:?}", cut.values.control));
            prop_assert_eq!(format!("{:?}", streamed.1), format!("{:?}", cut.values.experiment));
            got.push(window);
            stream.judged(1);
            let (keep_control, keep_experiment) = stream.keep_from();
            control.discard_before(keep_control);
            experiment.discard_before(keep_experiment);
            if lookback > 0 {
                // Sliding: what is held is about one window, not the history.
                let held = experiment.held() as i64 * whole.step_ms;
                prop_assert!(held <= (lookback + interval) * 60_000 + 8 * whole.step_ms * 3, "{}", held);
            }
        }
        prop_assert_eq!(got, expected_windows);
    }
}
