//! Chinese words for the values the API keeps in English, and for the
//! model's problems with input.

use naxian_model::{Catalogue, Counted, OrgKind, Problem, Refusal};

/// The Chinese for a value of the service's own (an instance's status, the
/// history's `create` and `withdraw`), or the value itself. The labels of a
/// workflow's data are its file's (`choices`), never here.
pub fn zh(value: &str) -> &str {
    match value {
        "active" => "办理中",
        "completed" => "已办结",
        "create" => "发起",
        "withdraw" => "撤回",
        "transfer" => "转交",
        "add_signer" => "加签",
        _ => value,
    }
}

/// What is wrong with a field, in the user's language. Every kind of the
/// model's is listed, so a new kind cannot reach a form untranslated.
pub fn zh_problem(problem: &Problem) -> String {
    match problem {
        Problem::Required | Problem::RequiredTo { .. } => "必填".into(),
        Problem::CommentRequired { .. } => "请填写意见".into(),
        Problem::Empty => "不能为空".into(),
        Problem::NotText => "请填写文字".into(),
        Problem::NotObject => "格式不正确".into(),
        Problem::UnknownField => "不是本表的栏目".into(),
        Problem::ControlCharacters => "含有不允许的字符".into(),
        Problem::NotOneLine => "只能填写一行，且不含特殊字符".into(),
        Problem::TooLong { max } => format!("最多{max}个字"),
        Problem::TooShort { min } => format!("至少{min}个字符"),
        Problem::TooManyBytes { max } => format!("最多{max}个字节"),
        Problem::FileTooLarge { max_mib } => format!("文件不能超过 {max_mib} MB"),
        Problem::TooLarge { max } => format!("不能大于{max}"),
        Problem::TooSmall { min } => format!("不能小于{min}"),
        Problem::NotInteger => "请填写整数".into(),
        Problem::NotPhone => "请填写手机号码或带区号的固定电话（如 0531-88886666）".into(),
        Problem::NotMobile => "请填写11位手机号码".into(),
        Problem::NotEmail => "请填写正确的电子邮箱".into(),
        Problem::NotOneOf { .. } => "请从列表中选择".into(),
        Problem::NotDate => "请填写日期（年-月-日）".into(),
        Problem::NotMonth => "请填写月份（年-月）".into(),
        Problem::NotTime => "请填写正确的时间".into(),
        Problem::NotFuture => "须晚于当前时间".into(),
        Problem::NotAfter { other } => format!("须晚于{}", zh_field(other)),
        Problem::Before { other } => format!("不能早于{}", zh_field(other)),
        Problem::InFuture => "不能晚于今天".into(),
        Problem::ChiefOutsideSectors { sectors } => {
            format!("只有{}领域的成员才能标为三长", sectors.join("、"))
        }
        Problem::NoneChosen { .. } => "请至少选择一个".into(),
        Problem::TooMany { max, what } => format!("最多{max}个{}", zh_counted(*what)),
        Problem::NotDurations | Problem::NotDuration { .. } => "请填写天数，如 3".into(),
        Problem::NotCode => "编码只能由1至64位字母、数字、“-”“_”“.”组成".into(),
        Problem::NotLogin => "账号只能由1至64位字母、数字、“.”“_”“-”组成".into(),
        Problem::Immutable => "提交后不能修改".into(),
        Problem::CreatorCannotHold => "不能交给事项的发起人办理".into(),
        Problem::NoSuchUser { .. } => "没有这个人员".into(),
        Problem::HoldsItAlready => "此人已在办理这项任务".into(),
        Problem::DelegateIsSelf => "不能委托给自己".into(),
        Problem::WrongPassword => "当前密码不正确".into(),
        Problem::SameAsBefore => "新密码不能与当前密码相同".into(),
        Problem::CannotHoldTask => "此人不担任这项任务所需的职务".into(),
        Problem::TakesNoData { .. } => "此操作无需填写内容".into(),
        Problem::ChoosesNoStep { .. } => "此操作不需要选择环节".into(),
        Problem::WrongKind { allowed, .. } => format!(
            "须为{}",
            allowed.iter().map(|k| zh_kind(k)).collect::<Vec<_>>().join("、")
        ),
        Problem::NoOrgUnit { code } => format!("没有编码为 {code} 的单位"),
        Problem::NoWorkflow { name } => format!("没有流程 {name}"),
        Problem::ListedTwice { value } => format!("{value} 重复了"),
        Problem::Reserved { name } => format!("{name} 是保留名称，请换一个"),
        Problem::NotName => "须为小写英文字母开头，由小写字母、数字或下划线组成，最多40个字符".into(),
        Problem::EarlierRow { value } => format!("{value} 与前面的行重复"),
        Problem::UnitExists { code } => format!("单位 {code} 已存在"),
        Problem::UserExists { login } => format!("账号 {login} 已存在"),
        Problem::LoginInOtherCase { login, existing } => {
            format!("账号 {login} 与已有的 {existing} 相同（不区分大小写）")
        }
        Problem::CodeInOtherCase { code } => format!("已有与 {code} 仅大小写不同的单位编码"),
        Problem::NotCampaignTarget { .. } => "这类单位不能承办限时任务".into(),
        Problem::OutsideAdministration { code } => format!("{code} 不在您的管理范围内"),
        Problem::NotGrant { text } => format!("“{text}”应写成“角色@单位编码”，如“提名人@K-01”"),
        Problem::ColumnTwice { column } => format!("列“{column}”出现了两次"),
        Problem::UnknownColumn { column } => format!("不认识的列“{column}”"),
        Problem::ColumnMissing { column } => format!("缺少列“{column}”"),
        Problem::EmptySheet => "表格是空的".into(),
        Problem::NoRows => "表格没有数据行".into(),
        Problem::FunctionMissing => "部门须选择职能".into(),
        Problem::FunctionNotAllowed => "只有部门才有职能".into(),
        Problem::NoBody => "部门没有领导机构".into(),
        Problem::NeedsParent { .. } => "须选择上级单位".into(),
        Problem::WrongParent { kind, allowed, .. } => {
            format!(
                "{}的上级须为{}",
                zh_kind(kind),
                allowed.iter().map(|k| zh_kind(k)).collect::<Vec<_>>().join("、")
            )
        }
        Problem::NotCron { .. } => "时间表达式不正确".into(),
        Problem::BadFile { detail } => format!("文件有误：{detail}"),
    }
}

/// Why the workflow refused an action, in the user's language; every kind is
/// listed, as for [`zh_problem`].
pub fn zh_refusal(refusal: &Refusal, catalogue: &Catalogue) -> String {
    match refusal {
        Refusal::Completed { .. } => "此事项已办结。".into(),
        Refusal::NoWithdraw => "此类事项不能撤回。".into(),
        Refusal::OnlyCreatorWithdraws => "只有发起人可以撤回。".into(),
        Refusal::NotWithdrawableHere { .. } => "事项已进入下一环节，不能再撤回。".into(),
        Refusal::TaskOfAnotherInstance => "这项任务不属于此事项。".into(),
        Refusal::TaskDone => "这项任务已办理。".into(),
        Refusal::MovedOn => "事项已进入下一环节，这项任务无需再办理。".into(),
        Refusal::UnknownStep { step } => format!("流程中没有环节 {step}，请联系管理员。"),
        Refusal::ActionNotAllowed { .. } => "当前环节不能进行此操作。".into(),
        Refusal::TransferNotAllowed { .. } => "这项任务不能转交。".into(),
        Refusal::AddSignerNotAllowed { .. } => "这项任务不能加签。".into(),
        Refusal::NotBatchable { .. } => "此操作不能批量办理，请打开任务逐项办理。".into(),
        Refusal::StepNotOffered { .. } => "不能退回到所选环节，请从列出的环节中选择。".into(),
        Refusal::ConditionFailed { condition, .. } => {
            format!("流程条件“{condition}”无法判断，请联系管理员。")
        }
        Refusal::NoRoute { step } => format!("环节 {step} 没有适用的去向，请联系管理员。"),
        Refusal::RoutesInCycle => "流程配置有误（环节循环），请联系管理员。".into(),
        Refusal::Nobody { unit, .. } => format!("单位 {unit} 没有可以办理下一环节的人员，请联系管理员。"),
        Refusal::NoHolder { role, unit_name, .. } => {
            let label = catalogue.role_label(role);
            format!("{unit_name}没有人担任“{label}”，事项无法交其办理，请联系管理员设置人员。")
        }
        Refusal::NoLevel { unit, .. } => format!("单位 {unit} 缺少所需的上级单位，请联系管理员。"),
        Refusal::NoDepartment {
            unit_name, function, ..
        } => {
            let label = catalogue.function_label(function);
            format!("{unit_name}没有登记“{label}”部门，请联系管理员。")
        }
        Refusal::UnknownRole { role } => format!("流程中的角色 {role} 不存在，请联系管理员。"),
        Refusal::NoInstance { .. } => "没有这个事项。".into(),
        Refusal::NoTask { .. } => "没有这项任务。".into(),
        Refusal::NoCampaign { .. } => "没有这项限时任务。".into(),
        Refusal::NoAttachment { .. } => "没有这个附件。".into(),
        Refusal::NoNotice { .. } => "没有这条消息。".into(),
        Refusal::NoMember { .. } => "该单位没有这名成员。".into(),
        Refusal::MemberLeft { .. } => "这名成员已经离任。".into(),
        Refusal::NoUser { login } => format!("没有账号 {login}。"),
        Refusal::NoOrgUnit { code } => format!("没有单位 {code}。"),
        Refusal::NoWorkflow { name } => format!("没有流程 {name}。"),
        Refusal::NoWorkflowVersion { name, version } => format!("没有流程 {name} 的第 {version} 版。"),
        Refusal::NoExport => "没有这种导出文件。".into(),
        Refusal::NoRanking { .. } => "这项限时任务没有评分排名。".into(),
        Refusal::NoTemplate => "没有这个模板。".into(),
        Refusal::NoUnitToShow => "没有可显示的单位。".into(),
        Refusal::UnitGone { code } => format!("单位 {code} 已不存在。"),
        Refusal::UnitExists { code } => format!("单位 {code} 已存在。"),
        Refusal::UserExists { login } => format!("账号 {login} 已存在。"),
        Refusal::NoGrant(g) => {
            let role = catalogue.role_label(&g.role);
            format!("{}并未在{}担任{role}。", g.name, g.unit_name)
        }
        Refusal::AlreadyHolds(g) => {
            let role = catalogue.role_label(&g.role);
            format!("{}已在{}担任{role}。", g.name, g.unit_name)
        }
        Refusal::NotYourTask => "这项任务不是交给您办理的。".into(),
        Refusal::OwnInstance => "不能办理自己发起的事项，也不能代发起人办理。".into(),
        Refusal::NoDelegation { .. } => "没有设置委托代理。".into(),
        Refusal::InstanceHidden => "您无权查看此事项。".into(),
        Refusal::CampaignHidden => "您无权查看这项限时任务。".into(),
        Refusal::OutsideGrants => "此单位不在您的权限范围内。".into(),
        Refusal::OutsideSupervision { code } => format!("{code} 不在您督导的范围内。"),
        Refusal::StartNeedsRole { unit, .. } => format!("您不能为 {unit} 发起此事项。"),
        Refusal::NothingToNominate => "您没有可以提名的单位。".into(),
        Refusal::UrgeNotYours => "只有发起人或督导人员可以催办。".into(),
        Refusal::UrgedToday => "今天已催办过，请明天再试。".into(),
        Refusal::AccessLogForAdmins => "只有管理员可以查看访问记录。".into(),
        Refusal::NeedsAdmin => "只有管理员可以使用此功能。".into(),
        Refusal::NotUnitAdmin => "您不是此单位的管理员。".into(),
        Refusal::PasswordMustChange => "管理员已重置您的密码，请先登录网页，在“我的账户”中修改密码。".into(),
        Refusal::NeedsSupervisor => "只有督导人员可以发起限时任务。".into(),
        Refusal::TopLevelNeedsGlobalAdmin => "只有系统管理员可以新建顶级单位。".into(),
        Refusal::AdminNeedsGlobalAdmin => "只有系统管理员可以设置系统管理员。".into(),
        Refusal::CatalogueNeedsGlobalAdmin => "只有系统管理员可以修改角色和部门职能。".into(),
        Refusal::OnlySelfOrAdmin => "只有本人或管理员可以修改。".into(),
        Refusal::InstanceClosed => "事项已办结，不能再上传附件。".into(),
        Refusal::AttachNotYours => "只有提名人或办理人可以上传附件。".into(),
        Refusal::TooManyLogins => "登录失败次数过多，请稍后再试。".into(),
        Refusal::ImportRaced { .. } => "导入期间有人新增了数据，未导入任何数据，请重试。".into(),
        Refusal::Stale { .. } => "已被他人处理，请刷新后再试。".into(),
        Refusal::Missing { .. } => "所需的数据已不存在，请刷新后再试。".into(),
    }
}

fn zh_counted(what: Counted) -> &'static str {
    match what {
        Counted::OrgUnits => "单位",
        Counted::Durations => "提醒时间",
        Counted::Tasks => "项任务",
        Counted::Phrases => "条常用意见",
    }
}

/// The Chinese name of a kind of org unit, or the text as given.
fn zh_kind(kind: &str) -> String {
    kind.parse::<OrgKind>()
        .map(|k| k.label().to_string())
        .unwrap_or_else(|_| kind.to_string())
}

/// The Chinese name of a field other problems refer to.
fn zh_field(field: &str) -> &str {
    match field {
        "term_start" => "任期开始日期",
        "term_end" => "任期结束日期",
        "since" => "任职日期",
        other => other,
    }
}

/// A duration as people say it: `3 天`, `2 个工作日`, `12 小时`, `每月 25 日`
/// (the text itself if it is not one).
pub fn zh_span(text: &str) -> String {
    use naxian_model::calendar::Span;
    match Span::parse(text) {
        Ok(Span::WorkingDays(n)) => format!("{n} 个工作日"),
        Ok(Span::Days(n)) => format!("{n} 天"),
        Ok(Span::Hours(n)) => format!("{n} 小时"),
        Ok(Span::DayOfMonth(n)) => format!("每月 {n} 日"),
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::zh_problem;
    use naxian_model::Problem;

    #[test]
    fn problems_in_chinese() {
        assert_eq!(zh_problem(&Problem::Required), "必填");
        assert_eq!(zh_problem(&Problem::TooLong { max: 50 }), "最多50个字");
        assert_eq!(zh_problem(&Problem::TooLarge { max: 2010 }), "不能大于2010");
        assert_eq!(zh_problem(&Problem::TooSmall { min: 1930 }), "不能小于1930");
        assert!(zh_problem(&Problem::NotPhone).contains("电话"));
        let parent = Problem::WrongParent {
            kind: "county".into(),
            parent: "province".into(),
            allowed: vec!["city".into()],
        };
        assert_eq!(zh_problem(&parent), "县的上级须为市");
    }
}
