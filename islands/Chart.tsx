/** Island: one chart (line or bar) drawn with chart.js from data rendered into the page. */
import { ChartFigure, type ChartFigureProps } from "./_ChartCanvas.tsx";

/** Renders a chart figure; hydrated, it draws the chart. */
export default function Chart(props: ChartFigureProps) {
  return <ChartFigure {...props} />;
}
