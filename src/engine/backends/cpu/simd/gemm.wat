;; out[r][j] = Σ_i x[r][i] · w[j][i] + bias[j], for r < t, j < n, i < k: every matrix product of the
;; CPU path, in 128-bit SIMD (f32x4). Row-major f32: x is t×k, w is n×k, out is t×n; bias 0 means none.
;;
;; One output's sum has one order, whatever t is (so a batched verify pass and a one-token decode
;; agree bit for bit, and drafts stay exact): lane l adds x[i]·w[i] for i ≡ l (mod 4) in order, the
;; lanes combine as (l0 + l1) + (l2 + l3), then the k mod 4 tail adds in order, then the bias.
;; Four weight rows go together so that each load of x serves four of them.
(module
  (memory (export "memory") 1)
  (func $hsum (param $a v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
  (func $bias (param $bias i32) (param $j i32) (result f32)
    (if (result f32) (local.get $bias)
      (then (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2)))))
      (else (f32.const 0))))
  (func (export "gemm") (param $x i32) (param $w i32) (param $out i32) (param $bias i32)
                        (param $t i32) (param $n i32) (param $k i32)
    (local $stride i32) (local $vec i32) (local $j i32) (local $r i32) (local $i i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32) (local $xr i32) (local $o i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $xv v128)
    (local $s0 f32) (local $s1 f32) (local $s2 f32) (local $s3 f32) (local $xs f32)
    (local.set $stride (i32.shl (local.get $k) (i32.const 2)))
    (local.set $vec (i32.shl (i32.and (local.get $k) (i32.const -4)) (i32.const 2)))
    ;; Four rows at a time.
    (block $rows4_done
      (loop $rows4
        (br_if $rows4_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $stride))))
        (local.set $w1 (i32.add (local.get $w0) (local.get $stride)))
        (local.set $w2 (i32.add (local.get $w1) (local.get $stride)))
        (local.set $w3 (i32.add (local.get $w2) (local.get $stride)))
        (local.set $r (i32.const 0))
        (block $tokens_done
          (loop $tokens
            (br_if $tokens_done (i32.ge_u (local.get $r) (local.get $t)))
            (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $stride))))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $a1 (v128.const i32x4 0 0 0 0))
            (local.set $a2 (v128.const i32x4 0 0 0 0))
            (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $i (i32.const 0))
            (block $vec_done
              (loop $vec_loop
                (br_if $vec_done (i32.ge_u (local.get $i) (local.get $vec)))
                (local.set $xv (v128.load (i32.add (local.get $xr) (local.get $i))))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w0) (local.get $i))))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w1) (local.get $i))))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w2) (local.get $i))))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $xv) (v128.load (i32.add (local.get $w3) (local.get $i))))))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (br $vec_loop)))
            (local.set $s0 (call $hsum (local.get $a0)))
            (local.set $s1 (call $hsum (local.get $a1)))
            (local.set $s2 (call $hsum (local.get $a2)))
            (local.set $s3 (call $hsum (local.get $a3)))
            (block $tail_done
              (loop $tail
                (br_if $tail_done (i32.ge_u (local.get $i) (local.get $stride)))
                (local.set $xs (f32.load (i32.add (local.get $xr) (local.get $i))))
                (local.set $s0 (f32.add (local.get $s0) (f32.mul (local.get $xs) (f32.load (i32.add (local.get $w0) (local.get $i))))))
                (local.set $s1 (f32.add (local.get $s1) (f32.mul (local.get $xs) (f32.load (i32.add (local.get $w1) (local.get $i))))))
                (local.set $s2 (f32.add (local.get $s2) (f32.mul (local.get $xs) (f32.load (i32.add (local.get $w2) (local.get $i))))))
                (local.set $s3 (f32.add (local.get $s3) (f32.mul (local.get $xs) (f32.load (i32.add (local.get $w3) (local.get $i))))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $tail)))
            (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $n)) (local.get $j)) (i32.const 2))))
            (f32.store offset=0 (local.get $o) (f32.add (local.get $s0) (call $bias (local.get $bias) (local.get $j))))
            (f32.store offset=4 (local.get $o) (f32.add (local.get $s1) (call $bias (local.get $bias) (i32.add (local.get $j) (i32.const 1)))))
            (f32.store offset=8 (local.get $o) (f32.add (local.get $s2) (call $bias (local.get $bias) (i32.add (local.get $j) (i32.const 2)))))
            (f32.store offset=12 (local.get $o) (f32.add (local.get $s3) (call $bias (local.get $bias) (i32.add (local.get $j) (i32.const 3)))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $tokens)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $rows4)))
    ;; The last n mod 4 rows, one at a time, in the same order.
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $j) (local.get $n)))
        (local.set $w0 (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $stride))))
        (local.set $r (i32.const 0))
        (block $tokens1_done
          (loop $tokens1
            (br_if $tokens1_done (i32.ge_u (local.get $r) (local.get $t)))
            (local.set $xr (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $stride))))
            (local.set $a0 (v128.const i32x4 0 0 0 0))
            (local.set $i (i32.const 0))
            (block $vec1_done
              (loop $vec1
                (br_if $vec1_done (i32.ge_u (local.get $i) (local.get $vec)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (i32.add (local.get $xr) (local.get $i))) (v128.load (i32.add (local.get $w0) (local.get $i))))))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (br $vec1)))
            (local.set $s0 (call $hsum (local.get $a0)))
            (block $tail1_done
              (loop $tail1
                (br_if $tail1_done (i32.ge_u (local.get $i) (local.get $stride)))
                (local.set $s0 (f32.add (local.get $s0) (f32.mul (f32.load (i32.add (local.get $xr) (local.get $i))) (f32.load (i32.add (local.get $w0) (local.get $i))))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br $tail1)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (local.get $r) (local.get $n)) (local.get $j)) (i32.const 2)))
              (f32.add (local.get $s0) (call $bias (local.get $bias) (local.get $j))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $tokens1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $rows)))))
