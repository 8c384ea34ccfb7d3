set terminal svg size 960,540 dynamic font 'sans,11'
set output '/tmp/rg/ref-regressions3/rows/002-pnpm-link-eacces/run/plot-modes.svg'
set title 'linklab: median install time per cell (corpus npm; log scale)' noenhanced
set ylabel 'ms'
set logscale y
set yrange [1:*]
set style fill solid 0.6 border -1
set boxwidth 0.7
set xtics rotate by -50 font ',8' noenhanced
set grid ytics
set key off
set bmargin 13
set rmargin 4
plot '/tmp/rg/ref-regressions3/rows/002-pnpm-link-eacces/run/plot-modes.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa', '' using 0:2:3 with yerrorbars lc rgb 'black' pt 0
set terminal pngcairo size 960,540 font 'sans,10'
set output '/tmp/rg/ref-regressions3/rows/002-pnpm-link-eacces/run/plot-modes.png'
set title 'linklab: median install time per cell (corpus npm; log scale)' noenhanced
set ylabel 'ms'
set logscale y
set yrange [1:*]
set style fill solid 0.6 border -1
set boxwidth 0.7
set xtics rotate by -50 font ',8' noenhanced
set grid ytics
set key off
set bmargin 13
set rmargin 4
plot '/tmp/rg/ref-regressions3/rows/002-pnpm-link-eacces/run/plot-modes.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa', '' using 0:2:3 with yerrorbars lc rgb 'black' pt 0
set terminal svg size 960,540 dynamic font 'sans,11'
set output '/tmp/rg/ref-regressions3/rows/002-pnpm-link-eacces/run/plot-files.svg'
set title 'linklab: median install time against file count (same-linkeacces)' noenhanced
set xlabel 'files in the corpus'
set ylabel 'ms'
set key left top noenhanced
set grid
set logscale y
set yrange [1:*]
set ylabel 'ms (log scale)'
unset xtics
set xtics
set bmargin 4
set key outside right
plot '/tmp/rg/ref-regressions3/rows/002-pnpm-link-eacces/run/plot-files.dat' index 0 using 1:2 with linespoints title 'pnpm@12.4.1 auto'
set terminal pngcairo size 960,540 font 'sans,10'
set output '/tmp/rg/ref-regressions3/rows/002-pnpm-link-eacces/run/plot-files.png'
set title 'linklab: median install time against file count (same-linkeacces)' noenhanced
set xlabel 'files in the corpus'
set ylabel 'ms'
set key left top noenhanced
set grid
set logscale y
set yrange [1:*]
set ylabel 'ms (log scale)'
unset xtics
set xtics
set bmargin 4
set key outside right
plot '/tmp/rg/ref-regressions3/rows/002-pnpm-link-eacces/run/plot-files.dat' index 0 using 1:2 with linespoints title 'pnpm@12.4.1 auto'
