set terminal svg size 960,540 dynamic font 'sans,11'
set output 'results/reference/signoff/plot-modes.svg'
set title 'linklab: median install time per cell (corpus real; log scale)' noenhanced
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
plot 'results/reference/signoff/plot-modes.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa', '' using 0:2:3 with yerrorbars lc rgb 'black' pt 0
set terminal pngcairo size 960,540 font 'sans,10'
set output 'results/reference/signoff/plot-modes.png'
set title 'linklab: median install time per cell (corpus real; log scale)' noenhanced
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
plot 'results/reference/signoff/plot-modes.dat' using 0:2:xtic(1) with boxes lc rgb '#4477aa', '' using 0:2:3 with yerrorbars lc rgb 'black' pt 0
set terminal svg size 960,540 dynamic font 'sans,11'
set output 'results/reference/signoff/plot-files.svg'
set title 'linklab: median install time against file count (same-btrfs)' noenhanced
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
plot 'results/reference/signoff/plot-files.dat' index 0 using 1:2 with linespoints title 'linklab clone', 'results/reference/signoff/plot-files.dat' index 1 using 1:2 with linespoints title 'linklab hardlink', 'results/reference/signoff/plot-files.dat' index 2 using 1:2 with linespoints title 'linklab copy', 'results/reference/signoff/plot-files.dat' index 3 using 1:2 with linespoints title 'cp clone', 'results/reference/signoff/plot-files.dat' index 4 using 1:2 with linespoints title 'cp hardlink', 'results/reference/signoff/plot-files.dat' index 5 using 1:2 with linespoints title 'cp copy', 'results/reference/signoff/plot-files.dat' index 6 using 1:2 with linespoints title 'pip copy', 'results/reference/signoff/plot-files.dat' index 7 using 1:2 with linespoints title 'pnpm@12.4.1 auto', 'results/reference/signoff/plot-files.dat' index 8 using 1:2 with linespoints title 'pnpm@12.4.1 hardlink', 'results/reference/signoff/plot-files.dat' index 9 using 1:2 with linespoints title 'pnpm@12.4.1 clone', 'results/reference/signoff/plot-files.dat' index 10 using 1:2 with linespoints title 'pnpm@12.4.1 copy', 'results/reference/signoff/plot-files.dat' index 11 using 1:2 with linespoints title 'bun@1.4.5 auto', 'results/reference/signoff/plot-files.dat' index 12 using 1:2 with linespoints title 'bun@1.4.5 hardlink', 'results/reference/signoff/plot-files.dat' index 13 using 1:2 with linespoints title 'bun@1.4.5 clone', 'results/reference/signoff/plot-files.dat' index 14 using 1:2 with linespoints title 'bun@1.4.5 copy'
set terminal pngcairo size 960,540 font 'sans,10'
set output 'results/reference/signoff/plot-files.png'
set title 'linklab: median install time against file count (same-btrfs)' noenhanced
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
plot 'results/reference/signoff/plot-files.dat' index 0 using 1:2 with linespoints title 'linklab clone', 'results/reference/signoff/plot-files.dat' index 1 using 1:2 with linespoints title 'linklab hardlink', 'results/reference/signoff/plot-files.dat' index 2 using 1:2 with linespoints title 'linklab copy', 'results/reference/signoff/plot-files.dat' index 3 using 1:2 with linespoints title 'cp clone', 'results/reference/signoff/plot-files.dat' index 4 using 1:2 with linespoints title 'cp hardlink', 'results/reference/signoff/plot-files.dat' index 5 using 1:2 with linespoints title 'cp copy', 'results/reference/signoff/plot-files.dat' index 6 using 1:2 with linespoints title 'pip copy', 'results/reference/signoff/plot-files.dat' index 7 using 1:2 with linespoints title 'pnpm@12.4.1 auto', 'results/reference/signoff/plot-files.dat' index 8 using 1:2 with linespoints title 'pnpm@12.4.1 hardlink', 'results/reference/signoff/plot-files.dat' index 9 using 1:2 with linespoints title 'pnpm@12.4.1 clone', 'results/reference/signoff/plot-files.dat' index 10 using 1:2 with linespoints title 'pnpm@12.4.1 copy', 'results/reference/signoff/plot-files.dat' index 11 using 1:2 with linespoints title 'bun@1.4.5 auto', 'results/reference/signoff/plot-files.dat' index 12 using 1:2 with linespoints title 'bun@1.4.5 hardlink', 'results/reference/signoff/plot-files.dat' index 13 using 1:2 with linespoints title 'bun@1.4.5 clone', 'results/reference/signoff/plot-files.dat' index 14 using 1:2 with linespoints title 'bun@1.4.5 copy'
