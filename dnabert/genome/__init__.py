"""The genome: coordinates of sequences, reference FASTA checks, VCF input and genome-browser tracks."""
